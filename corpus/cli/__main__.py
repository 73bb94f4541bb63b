from corpus.cli.main import app

app()
