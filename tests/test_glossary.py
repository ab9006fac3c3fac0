"""The glossary's Korean index lists every Korean name of every entry (tools/korean_index.py)."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("korean_index", ROOT / "tools" / "korean_index.py")
korean_index = importlib.util.module_from_spec(spec)
spec.loader.exec_module(korean_index)
GLOSSARY = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")


def test_index_is_up_to_date():
    assert korean_index.with_index(GLOSSARY) == GLOSSARY, "run python tools/korean_index.py"


def test_names_are_read_from_every_form_of_entry():
    sample = ("```{glossary}\nbackpropagation through time\n  **시간에 따른 역전파 (BPTT)**; also 시간 역전파. Text.\n\n"
              "gradient\n  **그라디언트, 기울기**. Text.\n\nlocal gradient\n  **local gradient** (usually in English;"
              " 지역 그라디언트, 국소 기울기). Text.\n```\n")
    assert korean_index.korean_names(sample) == [
        ("국소 기울기", "local gradient"), ("그라디언트", "gradient"), ("기울기", "gradient"),
        ("시간 역전파", "backpropagation through time"), ("시간에 따른 역전파", "backpropagation through time"),
        ("지역 그라디언트", "local gradient")]


def test_groups_follow_the_initial_consonant():
    assert [korean_index.initial(w) for w in ("가중치", "까치", "역전파", "합성곱")] == ["ㄱ", "ㄱ", "ㅇ", "ㅎ"]
    section = korean_index.index_section(GLOSSARY)
    letters = [line.split("**")[1] for line in section.splitlines() if line.startswith("**")]
    assert letters == sorted(letters) and "ㄱ" in letters and "ㅎ" in letters
