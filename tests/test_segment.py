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
