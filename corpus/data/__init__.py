"""Packaged resources: the toolkit's own lexicon, number words, abbreviations, boilerplate, spun phrases, SEO
titles. Data only; config/recipe.py lists the ones whose bytes enter the build fingerprint."""
