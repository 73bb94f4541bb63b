from corpus.despin.detect import THRESHOLD, detect
from corpus.text.segment import paragraph_kind
from tests.conftest import SEO_TITLE, SPUN_STARTS, UNTOUCHED_STARTS


def test_seed_spun_untouched_and_seo_title(seed_paragraphs):
    labels = {p: detect(p) for _, p in seed_paragraphs}
    assert labels[SEO_TITLE].label == "boilerplate"
    for p, d in labels.items():
        if p.startswith(SPUN_STARTS):
            assert d.label == "spun" and d.score >= THRESHOLD and d.evidence, p[:40]
        elif p.startswith(UNTOUCHED_STARTS):
            assert d.label == "clean" and d.score < THRESHOLD, (p[:40], d)


def test_clean_text_using_spinner_output_words_is_not_flagged():
    clean = [
        "Những thay đổi trong chính sách thuế sẽ được triển khai từ năm sau, theo Bộ Tài chính.",
        "Khu vui chơi có nhiều hoạt động giải trí cho trẻ em vào cuối tuần.",
        "Động cơ mới đạt hiệu suất cao hơn 12% so với thế hệ trước.",
        "Hãng điện thoại ra mắt mẫu máy mới; dịch vụ giao hàng miễn phí trong nội thành.",
        "Ba người sống sót sau vụ tai nạn đã được đưa đến bệnh viện tỉnh.",
        "Ủy ban nhân dân tỉnh quyết định thành lập tổ công tác liên ngành.",
    ]
    for p in clean:
        assert detect(p).label == "clean", p


def test_few_false_alarms_on_wikipedia_prose(wiki_articles):
    from corpus.text.normalize import normalize
    from corpus.text.segment import segment

    body = [p for a in wiki_articles for kind, p in segment(normalize(a["text"])) if kind == "body" and len(p) > 80]
    flagged = [p for p in body if detect(p).label == "spun"]
    assert len(body) > 500
    assert len(flagged) / len(body) < 0.01


def test_law_text_is_never_flagged(law_paragraphs):
    assert not [p for p in law_paragraphs if detect(p).label == "spun"]
    assert paragraph_kind(law_paragraphs[0]) == "body"
