"""Build var/screenshots/index.html: every browser-test screenshot by journey and step, at 320 px, phone, desktop."""

import html
import re
from collections import defaultdict
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def main() -> None:
    shots = defaultdict(dict)
    for path in sorted(FOLDER.glob("*.png")):
        match = re.match(r"(?P<step>.+)-(?P<size>narrow|phone|desktop)\.png$", path.name)
        if match:
            shots[match["step"]][match["size"]] = path.name
    rows = []
    for step, sizes in sorted(shots.items()):
        cells = "".join(
            f'<td><a href="{html.escape(sizes[s])}"><img src="{html.escape(sizes[s])}" alt="{html.escape(step)} {s}" '
            f'loading="lazy"></a></td>'
            if s in sizes
            else "<td></td>"
            for s in ("narrow", "phone", "desktop")
        )
        rows.append(f"<tr><th scope=row>{html.escape(step)}</th>{cells}</tr>")
    FOLDER.mkdir(parents=True, exist_ok=True)
    (FOLDER / "index.html").write_text(
        "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Verzuimportaal screenshots</title>"
        "<style>body{font-family:sans-serif}td img{max-height:420px;border:1px solid #ccc}th{text-align:left}</style>"
        f"<h1>Browser journeys ({len(shots)} steps)</h1><table><tr><th>step</th><th>320 px (reflow)</th>"
        f"<th>phone 390×844</th><th>desktop 1280×800</th></tr>{''.join(rows)}</table></html>"
    )
    print(f"{FOLDER / 'index.html'}: {len(shots)} steps")


if __name__ == "__main__":
    main()
