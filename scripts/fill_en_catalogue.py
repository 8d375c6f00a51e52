"""After makemessages: msgids are English, so the English catalogue translates each one to itself."""

import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def main() -> int:
    text = PO.read_text()
    # Drop fuzzy flags: an English msgstr is never a guess.
    text = re.sub(r"^#, fuzzy\n", "", text, flags=re.M)
    text = re.sub(r"^(#, .*?)fuzzy, ", r"\1", text, flags=re.M)
    text = re.sub(r"^(#,.*?), fuzzy", r"\1", text, flags=re.M)
    text = re.sub(r"^#\|.*\n", "", text, flags=re.M)  # previous msgids of fuzzy matches
    blocks = text.split("\n\n")
    out = []
    for block in blocks:
        if "\nmsgid_plural " in block:
            singular = re.search(r'^msgid ((?:".*"\n?)+)', block, flags=re.M).group(1).rstrip("\n")
            plural = re.search(r'^msgid_plural ((?:".*"\n?)+)', block, flags=re.M).group(1).rstrip("\n")
            block = re.sub(r'^msgstr\[0\] (?:".*"\n?)+', f"msgstr[0] {singular}\n", block, flags=re.M)
            block = re.sub(r'^msgstr\[1\] (?:".*"\n?)+', f"msgstr[1] {plural}\n", block, flags=re.M)
        else:
            match = re.search(r'^msgid ((?:".*"\n?)+)', block, flags=re.M)
            if match and match.group(1).strip() != '""':
                block = re.sub(
                    r'^msgstr (?:".*"\n?)+', f"msgstr {match.group(1).rstrip()}\n", block, flags=re.M
                )
        out.append(block.rstrip("\n"))
    PO.write_text("\n\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
