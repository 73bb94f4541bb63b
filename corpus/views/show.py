"""`corpus show`: pairs of a built folder in the terminal, edits coloured by kind.

On a terminal the clean side strikes out what was replaced and the noisy side colours the replacements
(inserted spaces shown as ␣); piped, the same layout is plain text with both sides exactly as stored, so
`corpus show ... | grep` and diffs of the output see the real text. The edit list says the same in words.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from corpus.views.diffs import KIND_COLOURS, OTHER_COLOUR, describe, pieces, visible, with_old

MAX_LISTED = 12  # edits listed per row; long legal paragraphs can have dozens


def side_text(text: str, edits: list[dict], side: str, mark_spaces: bool = False) -> Text:
    """One side of a pair with its edited spans styled (struck out on the clean side, bold on the noisy side).

    The characters are the side's own unless mark_spaces, which shows whitespace-only replacements as ␣ / ⏎.
    """
    out = Text()
    for piece, edit in pieces(text, edits, side):
        if edit is None:
            out.append(piece)
            continue
        colour = KIND_COLOURS.get(edit["kind"], OTHER_COLOUR)
        if side == "clean":
            out.append(piece, style=f"strike {colour}")
        else:
            out.append(visible(piece) if mark_spaces and piece else piece, style=f"bold {colour}")
    return out


def row_lines(row: dict, colour: bool) -> list[Text]:
    """Header, clean, noisy and the edit list of one row."""
    edits = with_old(row["clean"], row["edits"])
    lines = [Text(f"── {row['id']}  ({row['config']}/{row['split']}, {row['origin']}, {len(edits)} edits)",
                  style="bold")]
    for side in ("clean", "noisy"):
        lines.append(Text.assemble((f"{side}: ", "dim"), side_text(row[side], edits, side, mark_spaces=colour)))
    for edit in edits[:MAX_LISTED]:
        lines.append(Text.assemble(("  · ", "dim"), (describe(edit), KIND_COLOURS.get(edit["kind"], OTHER_COLOUR))))
    if len(edits) > MAX_LISTED:
        lines.append(Text(f"  · … {len(edits) - MAX_LISTED} more", style="dim"))
    if not edits:
        lines.append(Text("  · untouched: noisy == clean", style="dim"))
    return lines


def show(rows: list[dict], console: Console | None = None) -> None:
    """Print rows; colours only when the console is a terminal (rich decides, and honours NO_COLOR)."""
    console = console or Console(highlight=False, soft_wrap=True)
    for i, row in enumerate(rows):
        if i:
            console.print()
        for line in row_lines(row, console.is_terminal and console.color_system is not None):
            console.print(line, soft_wrap=True, highlight=False)
