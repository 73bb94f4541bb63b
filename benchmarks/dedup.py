"""Near-duplicate removal on templated text: work per paragraph is bounded, so time grows linearly.

    python -m benchmarks.dedup [--sizes 1000 4000 20000]

Templated paragraphs (an admissions notice repeated with a few words and dates changed, as content farms and
portals publish them) share band keys without being near twins, the worst case for an LSH index; one in 50 is a
planted near twin of an earlier one (its last words changed), which both must find. Each size is
run with the index as built (corpus.match.dedup: MAX_BUCKET members per band key, MAX_COMPARED candidates per paragraph)
and, up to 4,000 paragraphs, with both bounds lifted (every candidate compared, as before): seconds, paragraphs
per second, and the near duplicates each finds (they must agree).
"""

from __future__ import annotations

import argparse
import random
import time

import corpus.match.dedup as dedup
from corpus.match.dedup import DedupSettings, near_duplicates

WORDS = ("cơ quan tổ chức cá nhân hồ sơ thủ tục quyết định thông báo tuyển sinh trường học sinh viên giảng viên "
         "học phí lệ phí ngân sách tài chính kế hoạch báo cáo kiểm tra giám sát thanh tra xử lý vi phạm").split()


def templated(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)

    def fill(m: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(m))

    out = []
    for k in range(n):
        if k % 50 == 49:  # a planted near twin: an earlier notice with its last word changed
            out.append(out[k - 37].removesuffix("giáo dục.") + "giáo dục và đào tạo.")
            continue
        out.append(f"Thông báo về việc tuyển sinh đại học chính quy năm nay của nhà trường: thí sinh {fill(2)} nộp "
                   f"hồ sơ đăng ký xét tuyển tại phòng đào tạo {fill(2)} trước ngày {k % 28 + 1} tháng {k % 12 + 1}; "
                   f"lệ phí xét tuyển nộp theo quy định hiện hành của {fill(2)} và hướng dẫn của bộ giáo dục.")
    return out


def timed(texts: list[str], bounded: bool) -> tuple[float, dict]:
    saved = dedup.MAX_BUCKET, dedup.MAX_COMPARED
    if not bounded:
        dedup.MAX_BUCKET = dedup.MAX_COMPARED = 10**9
    try:
        clock = time.process_time()
        removed = near_duplicates(texts, DedupSettings())
        return time.process_time() - clock, removed
    finally:
        dedup.MAX_BUCKET, dedup.MAX_COMPARED = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 20000])
    args = parser.parse_args()
    print("| paragraphs | index | CPU s | paragraphs/s | near duplicates |")
    print("|---:|---|---:|---:|---:|")
    for n in args.sizes:
        texts = templated(n)
        seconds, removed = timed(texts, bounded=True)
        print(f"| {n:,} | bounded | {seconds:.2f} | {n / seconds:,.0f} | {len(removed)} |", flush=True)
        if n <= 4000:
            seconds_all, removed_all = timed(texts, bounded=False)
            print(f"| {n:,} | every candidate | {seconds_all:.2f} | {n / seconds_all:,.0f} | {len(removed_all)} |",
                  flush=True)
            if removed_all != removed:
                raise SystemExit(f"{n}: the bounded index found other near duplicates")


if __name__ == "__main__":
    main()
