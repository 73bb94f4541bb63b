from corpus.text.segment import BODY, BOILERPLATE, HEADING, paragraph_kind, split_paragraphs, unglue
from tests.conftest import SEO_TITLE, SPUN_STARTS, UNTOUCHED_STARTS


def test_seed_has_its_fourteen_logical_paragraphs(seed_paragraphs):
    assert len(seed_paragraphs) == 14
    assert seed_paragraphs[0] == (BOILERPLATE, SEO_TITLE)
    starts = [p for _, p in seed_paragraphs[1:]]
    for start in UNTOUCHED_STARTS + SPUN_STARTS:
        assert sum(p.startswith(start) for p in starts) == 1, start
    assert all(kind == BODY for kind, _ in seed_paragraphs[1:])


def test_glued_paragraphs_are_split_at_the_lost_break():
    line = ("quyền và quyền lợi hợp pháp, chính đáng của tổ chức triển khai, cá thể .Đối với MTTQVN, những tổ "
            "chức triển khai chính trị – xã hội : Lãnh đạo ; làm cầu nối vững chãi giữa Đảng với nhân dân .Ngoài "
            "ra, nghị quyết cũng đã liên tục đề ra trách nhiệm thay đổi.")
    parts = unglue(line)
    assert [p[:10] for p in parts] == ["quyền và q", "Đối với MT", "Ngoài ra, "]
    assert parts[0].endswith("cá thể .")


def test_abbreviations_and_domains_are_not_split():
    for text in ("Trụ sở tại TP.HCM và Tp.Hồ Chí Minh, v.v. nhiều nơi.", "Tên miền quốc gia .vn do VNNIC quản lý."):
        assert unglue(text) == [text]


def test_layout_detection_line_per_paragraph_vs_hard_wrapped():
    lines = "Điều 1. Phạm vi điều chỉnh\nBộ luật này quy định địa vị pháp lý.\nChương II\nQuyền dân sự được tôn trọng."
    assert split_paragraphs(lines) == lines.split("\n")
    wrapped = ("Công tác kiểm tra, giám sát được đẩy mạnh,\ngóp phần siết chặt kỷ luật, kỷ cương\ntrong Đảng.\n\n"
               "Với mục tiêu nhằm tạo chuyển biến\nmạnh mẽ, thực chất trong đổi mới.\n")
    assert split_paragraphs(wrapped) == [
        "Công tác kiểm tra, giám sát được đẩy mạnh, góp phần siết chặt kỷ luật, kỷ cương trong Đảng.",
        "Với mục tiêu nhằm tạo chuyển biến mạnh mẽ, thực chất trong đổi mới.",
    ]


def test_legal_headings_and_page_furniture_are_not_prose():
    for heading in ("Chương I:NHỮNG QUY ĐỊNH CHUNG", "Điều 1. Phạm vi điều chỉnh", "Phần thứ nhất:QUY ĐỊNH CHUNG",
                    "QUỐC HỘI", "BỘ LUẬT", "Luật số: 91/2015/QH13", "Hà Nội, ngày 24 tháng 11 năm 2015",
                    "== Tham khảo =="):
        assert paragraph_kind(heading) == HEADING, heading
    for furniture in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc", "Xem thêm: Tin liên quan",
                      SEO_TITLE, "Mua Bán Nhà Đất Giá Rẻ Tại Thủ Đức"):
        assert paragraph_kind(furniture) == BOILERPLATE, furniture
    for prose in ("Các đại biểu dự hội nghị tại điểm cầu Bình Phước",
                  "1. Bộ luật này là luật chung điều chỉnh các quan hệ dân sự.",
                  "Ủy ban nhân dân tỉnh Bình Phước tổ chức hội nghị."):
        assert paragraph_kind(prose) == BODY, prose


def test_every_article_heading_of_the_civil_code_is_a_heading(law_paragraphs):
    import re

    articles = re.compile(r"^Điều \d+\. ")
    assert len(law_paragraphs) > 1500
    assert not [p for p in law_paragraphs if articles.match(p)]  # 689 articles, none left as prose


def _all_unicode() -> str:
    return "".join(map(chr, range(0x110000)))


def test_plain_case_characters_lower_case_like_re_ignorecase():
    """Every character of the shipped boilerplate patterns, ASCII and the Vietnamese alphabet that _plain_case
    admits: each character re.IGNORECASE matches it with lower-cases (str.lower) to its lower case, checked against
    all of Unicode; and the ones it refuses are refused for a reason (İ, ſ, K's partners... )."""
    import re
    from importlib import resources

    from corpus.text.segment import _plain_case

    shipped = resources.files("corpus.data").joinpath("boilerplate.txt").read_text(encoding="utf-8")
    viet = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    chars = sorted(set(shipped + viet + viet.upper() + "0123456789 :/©σς"))
    everything = _all_unicode()
    for ch in chars:
        partners = set(re.findall(re.escape(ch), everything, re.IGNORECASE))
        clean = all(x.lower() == ch.lower() and len(x.lower()) == 1 for x in partners)
        assert not _plain_case(ch) or clean, (ch, partners)
    assert not _plain_case("i") and not _plain_case("s") and _plain_case("ả") and _plain_case("©")


def test_needles_are_in_every_match(law_paragraphs, wiki_articles):
    """needles(p): one of them is in the lower-cased text wherever p matches: on real paragraphs with the shipped
    patterns' words planted in odd cases, and on made-up patterns over an alphabet of case oddities."""
    import random
    import re

    from corpus.text.segment import _anywhere, _boilerplate, needles

    assert _boilerplate()[2] is not None  # the shipped patterns are all analysed
    assert needles("(?:x|)") is None and needles("(?!)") is None and needles("a?") is None
    rng = random.Random(5)
    wiki = [ln for a in wiki_articles[:200] for ln in a["text"].split("\n") if ln.strip()]
    plants = ["BẢN QUYỀN", "bản Quyền", "CopyRight", "COPYRİGHT", "copyrıght", "©", "HTTPS://x.vn", "Http://a b",
              "http://vi.wikipedia.org/wiki/X  ", "bản\u00a0quyền", "Bản  quyền"]
    texts = law_paragraphs + wiki + [
        p[: (k := rng.randrange(len(p) + 1))] + rng.choice(plants) + p[k:] for p in rng.sample(law_paragraphs, 500)]
    anywhere = _boilerplate()[1]
    got = [_anywhere(t) for t in texts]
    assert got == [anywhere.search(t) is not None for t in texts]
    assert 200 < sum(got) < len(texts)
    patterns = ["Kelvin", "(?:ab|İc)d", "x(?:yz)+", "s?tu", "(?:Ω|Å)m", "s(?-i:AB)", "q[ab]*rs", "σx|Σy"]
    pieces = ["KEL", "keL", "KEL", "vin", "VİN", "vın", "ab", "AB", "İc", "ıC", "d", "D", "yz", "YZ", "w", "x",
              "s", "ſ", "tu", "TU", "Ωm", "ΩM", "Åm", "Åm", "AB", "σx", "Σy", "ςy", "ΣY", "q", "rs", "RS", " "]
    for pattern in patterns:
        found, compiled, matched = needles(pattern), re.compile(pattern, re.IGNORECASE), 0
        for _ in range(3000):
            text = "".join(rng.choice(pieces) for _ in range(rng.randrange(6)))
            if compiled.search(text):
                matched += 1
                assert found is None or any(n in text.lower() for n in found), (pattern, text, found)
        assert matched > 10, pattern
