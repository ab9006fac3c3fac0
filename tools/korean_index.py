"""Write the glossary's Korean index from its entries, so that it is never out of date.

    python tools/korean_index.py            # rewrite the "한국어 색인" section of book/glossary.md
    python tools/korean_index.py --check    # exit 1 if the committed index differs (tests/test_glossary.py)

Every glossary entry starts its definition with its Korean name in bold, and may give other Korean
names the lecture notes or textbooks use after it ("**시간에 따른 역전파 (BPTT)**; also 시간 역전파."
or "**역전파 단계**, 역방향 전달."). The index lists every such name in 가나다 order (the order of
the Hangul syllables in Unicode), grouped by initial consonant, each linked to its English entry.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"
HEADING = "## 한국어 색인 (Korean index)"
INTRO = ("Every Korean term above, in 가나다 order, with the English entry it belongs to: look up a word from\n"
         "the lecture notes here, then follow the link. (This index is written from the entries by\n"
         "`tools/korean_index.py`.)")
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
GROUP = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}  # doubled consonants filed with the plain ones
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ENTRY = re.compile(r"^(?P<term>\S[^\n]*)\n  \*\*(?P<ko>[^*]+)\*\*(?P<rest>[^.\n]*)", re.M)


def korean_names(glossary_text: str) -> list[tuple[str, str]]:
    """(Korean name, English term) for every name in the glossary directive, sorted in 가나다 order."""
    body = glossary_text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    pairs = set()
    for m in ENTRY.finditer(body):
        bold = re.sub(r"\s*\([^)]*\)", "", m.group("ko"))   # "시간에 따른 역전파 (BPTT)" -> the name
        parts = bold.split(",") + re.split(r"[;,]", m.group("rest").replace("(", ",").replace(")", ","))
        names = {re.sub(r"^also\s+", "", part.strip()) for part in parts}
        pairs |= {(name, m.group("term").strip()) for name in names if HANGUL.search(name)}
    return sorted(pairs, key=lambda p: (p[0], p[1].lower()))


def initial(name: str) -> str:
    first = next(c for c in name if HANGUL.match(c) or c.isalpha())
    if not HANGUL.match(first):
        return first.upper()
    consonant = INITIALS[(ord(first) - 0xAC00) // 588]
    return GROUP.get(consonant, consonant)


def index_section(glossary_text: str) -> str:
    groups: dict[str, list[str]] = {}
    for name, term in korean_names(glossary_text):
        groups.setdefault(initial(name), []).append(f"{name} → {{term}}`{term}`")
    lines = [HEADING, "", INTRO, ""]
    for letter, items in groups.items():
        lines += [f"**{letter}**: " + "; ".join(items), ""]
    return "\n".join(lines).rstrip() + "\n"


def with_index(text: str) -> str:
    head = text.split(HEADING, 1)[0].rstrip() + "\n\n"
    return head + index_section(text)


def main(argv: list[str]) -> int:
    text = GLOSSARY.read_text(encoding="utf-8")
    new = with_index(text)
    if "--check" in argv:
        if new != text:
            print("book/glossary.md: the Korean index is out of date; run python tools/korean_index.py")
            return 1
        return 0
    GLOSSARY.write_text(new, encoding="utf-8")
    print(f"Korean index: {len(korean_names(text))} names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
