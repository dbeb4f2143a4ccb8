"""Transcript import: every format's tricky cases, encodings and bad input."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from coder.errors import TranscriptError
from coder.ingest import parse_text, read_transcript

from .conftest import TRANSCRIPT_A, TRANSCRIPT_C


def turn_texts(p):
    return [(t.label, t.role, p.text[t.start:t.end]) for t in p.turns]


def test_front_matter_text_turns_and_offsets(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(TRANSCRIPT_A, encoding="utf-8")
    p = read_transcript(f)
    assert p.format == "text"
    assert (p.document, p.case) == ("A-mother", "A")
    assert p.attributes["date"] == "2024-03-01" and p.attributes["title"] == "Test interview A"
    assert p.text.startswith("INT: Was there") and "---" not in p.text
    assert turn_texts(p)[1] == (
        "ANN", "participant",
        "He used to hit me when he'd had a drink. We got into debt with the catalogue.\nThen the bailiffs came.",
    )
    assert [t.role for t in p.turns] == ["interviewer", "participant", "interviewer", "participant"]
    assert p.turns[1].line == 14  # file line numbers count the front matter
    assert p.speakers["ANN"].name == "Annette Quarry"
    assert sorted(p.roster_names()) == ["Annette Quarry", "Kyle"]


def test_timestamps_in_brackets_and_parentheses():
    p = parse_text("[00:14:32] DEB: One.\n(01:02) INT: Two?\n", source="x.txt")
    assert [(t.label, t.timestamp) for t in p.turns] == [("DEB", 872.0), ("INT", 62.0)]
    assert turn_texts(p)[0][2] == "One."


def test_without_front_matter_interviewer_labels_are_inferred():
    p = parse_text("I: Hello?\nMum: Hi.\nQ: And?\nInterviewer: More?\nDad: Yes.\n", source="x.txt")
    assert [t.role for t in p.turns] == ["interviewer", "participant", "interviewer", "interviewer", "participant"]


def test_interviewer_option_overrides():
    p = parse_text("Sara: Hello?\nMum: Hi.\n", source="x.txt", interviewer=["Sara"])
    assert [t.role for t in p.turns] == ["interviewer", "participant"]


def test_blank_lines_kept_and_continuations_join():
    p = parse_text("INT: Q?\n\n\nDEB: line one\nline two\n\n", source="x.txt")
    assert p.text == "INT: Q?\n\n\nDEB: line one\nline two\n\n"
    assert turn_texts(p)[1][2] == "line one\nline two"


def test_undeclared_label_is_an_error_with_line(tmp_path):
    f = tmp_path / "u.txt"
    f.write_text("---\nspeakers:\n  INT: interviewer\n  DEB: participant\n---\nINT: Hi\nDEB: Hello\nGAZ: Who?\n")
    with pytest.raises(TranscriptError) as e:
        read_transcript(f)
    assert str(e.value) == (
        f"{f}:8: speaker label 'GAZ' is not declared in 'speakers'; add it (e.g. 'GAZ: {{role: participant}}') or fix the label"
    )


def test_no_turns_is_an_error(tmp_path):
    f = tmp_path / "prose.txt"
    f.write_text("this is just some notes about the visit\nnothing here looks like a turn\n")
    with pytest.raises(TranscriptError, match=r"prose.txt: no speaker turns found; expected lines like 'INT: question'"):
        read_transcript(f)


def test_empty_and_binary_files(tmp_path):
    (tmp_path / "e.txt").write_text("  \n\n")
    with pytest.raises(TranscriptError, match=r"e.txt: file is empty; nothing to import"):
        read_transcript(tmp_path / "e.txt")
    (tmp_path / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(TranscriptError, match=r"b.txt: looks like a binary file"):
        read_transcript(tmp_path / "b.txt")


def test_invalid_yaml_front_matter_names_the_line(tmp_path):
    f = tmp_path / "y.txt"
    f.write_text("---\ndocument: x\nspeakers: [unclosed\n---\nINT: hi\n")
    with pytest.raises(TranscriptError) as e:
        read_transcript(f)
    assert str(e.value).startswith(f"{f}:4: invalid YAML:") or str(e.value).startswith(f"{f}:3: invalid YAML:")


def test_unclosed_front_matter(tmp_path):
    f = tmp_path / "n.txt"
    f.write_text("---\ndocument: x\nINT: hi\n")
    with pytest.raises(TranscriptError, match=r"n.txt:1: front matter opened with '---' is never closed"):
        read_transcript(f)


@pytest.mark.parametrize("encoding,bom", [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                          ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-8", b"")])
def test_encodings_and_crlf(tmp_path, encoding, bom):
    body = "INT: How’s things?\r\nDEB: Café’s shut — we’re skint.\r\n"
    f = tmp_path / "enc.txt"
    f.write_bytes(bom + body.encode(encoding))
    p = read_transcript(f)
    assert p.text == "INT: How’s things?\nDEB: Café’s shut — we’re skint.\n"
    assert turn_texts(p)[1][2] == "Café’s shut — we’re skint."
    assert p.warnings == []


def test_cp1252_fallback_warns(tmp_path):
    f = tmp_path / "win.txt"
    f.write_bytes("INT: Hi\nDEB: It cost £20 – madness\n".encode("cp1252"))
    p = read_transcript(f)
    assert turn_texts(p)[1][2] == "It cost £20 – madness"
    assert len(p.warnings) == 1 and "Windows-1252" in p.warnings[0]


def test_same_text_any_encoding_same_content_hash(tmp_path):
    (tmp_path / "a.txt").write_bytes("INT: Hi\nDEB: Yes\n".encode("utf-8"))
    (tmp_path / "b.txt").write_bytes(codecs.BOM_UTF16_LE + "INT: Hi\r\nDEB: Yes\r\n".encode("utf-16-le"))
    assert read_transcript(tmp_path / "a.txt").content_hash == read_transcript(tmp_path / "b.txt").content_hash


# --------------------------------------------------------------------------- Otter


def test_otter_with_sidecar(transcripts):
    p = read_transcript(transcripts / "C-otter.txt")
    assert p.format == "otter" and p.document == "C-mother" and p.case == "C"
    assert p.text == TRANSCRIPT_C  # plain text is the file as written
    assert turn_texts(p) == [
        ("Interviewer", "interviewer", "How did things start?"),
        ("Carol Pennyworth", "participant",
         "After we got evicted the kids stopped going to school.\nThe debt was doing my head in."),
    ]
    assert [t.timestamp for t in p.turns] == [2.0, 9.0]


def test_otter_hours_and_header_block():
    raw = ("Title of the call\nSUMMARY KEYWORDS\nhousing, debt\nSPEAKERS\nAlex Smith, Jo Bloggs\n\n"
           "Alex Smith  1:02:03\nFirst.\n\nJo Bloggs  1:02:10\nSecond para.\n\nThird para.\n")
    p = parse_text(raw, source="o.txt", format="auto", interviewer=["Alex Smith"])
    assert p.format == "otter"
    assert turn_texts(p) == [("Alex Smith", "interviewer", "First."),
                             ("Jo Bloggs", "participant", "Second para.\n\nThird para.")]
    assert p.turns[0].timestamp == 3723.0


# --------------------------------------------------------------------------- VTT / SRT / DOCX


def test_vtt_voice_tags_and_split_cues(tmp_path):
    f = tmp_path / "z.vtt"
    f.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v Interviewer>Tell me about school.\n\n"
                 "2\n00:00:05.000 --> 00:00:08.000\n<v Karen>She was bunking off\nall the time.\n\n"
                 "3\n00:00:08.000 --> 00:00:10.000\nand then excluded.\n")
    p = read_transcript(f)
    assert p.format == "vtt"
    assert turn_texts(p) == [("Interviewer", "interviewer", "Tell me about school."),
                             ("Karen", "participant", "She was bunking off all the time."),
                             ("Karen", "participant", "and then excluded.")]
    assert p.text.startswith("[00:00:01] Interviewer: Tell me about school.\n\n[00:00:05] Karen: ")
    assert p.turns[1].timestamp == 5.0


def test_srt_name_prefix(tmp_path):
    f = tmp_path / "s.srt"
    f.write_text("1\n00:00:01,000 --> 00:00:04,000\nInterviewer: How are you?\n\n"
                 "2\n00:00:04,500 --> 00:00:09,000\nMichelle: Skint, to be honest.\n")
    p = read_transcript(f)
    assert p.format == "srt"
    assert turn_texts(p) == [("Interviewer", "interviewer", "How are you?"),
                             ("Michelle", "participant", "Skint, to be honest.")]


def test_srt_cue_without_speaker_is_an_error(tmp_path):
    f = tmp_path / "s.srt"
    f.write_text("1\n00:00:01,000 --> 00:00:04,000\nno speaker here\n")
    with pytest.raises(TranscriptError, match=r"s.srt:2: cue has no speaker"):
        read_transcript(f)


def test_docx_with_front_matter(tmp_path):
    import docx

    d = docx.Document()
    for line in TRANSCRIPT_A.split("\n"):
        d.add_paragraph(line)
    f = tmp_path / "w.docx"
    d.save(f)
    p = read_transcript(f)
    assert p.format == "docx" and p.document == "A-mother"
    assert turn_texts(p)[3] == ("ANN", "participant", "Kyle got excluded in Year 9. The family worker helped us.")


def test_broken_docx(tmp_path):
    f = tmp_path / "broken.docx"
    f.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TranscriptError, match=r"broken.docx: cannot be read as a Word document"):
        read_transcript(f)


# --------------------------------------------------------------------------- real exports


def test_real_otter_exports_keep_qualcoder_offsets(shared_testdata):
    """Otter.ai exports import unchanged: a real coder's offsets still point at her quotes."""
    import csv

    folder = shared_testdata / "mannheimer_interviews"
    sources = {r["fid"]: r["name"] for r in csv.DictReader(open(folder / "qualcoder_export" / "sources.csv"))}
    checked = 0
    parsed = {}
    for row in csv.DictReader(open(folder / "qualcoder_export" / "codings.csv", encoding="utf-8")):
        name = sources[row["fid"]]
        if name not in parsed:
            parsed[name] = read_transcript(folder / "transcripts" / f"{name}.txt", interviewer=["Sara Mannheimer"])
        p = parsed[name]
        assert p.text[int(row["pos0"]):int(row["pos1"])] == row["seltext"]
        checked += 1
    assert checked == 753
    loose = 0
    for p in parsed.values():
        assert p.format == "otter"
        assert {"interviewer", "participant"} <= {t.role for t in p.turns} <= {"interviewer", "participant", "other"}
        assert all(p.text[t.start:t.end].strip() for t in p.turns)
        loose += sum(int(w.split(": ")[1].split()[0]) for w in p.warnings if "turn header(s)" in w)
    # hand-edited headers, counted independently: 19 'Name 21:04', 10 name alone, 3 time alone
    assert loose == 32


def test_otter_headers_edited_by_hand_still_start_turns():
    """Real hand-edited Otter exports have 'Name 00:05', a name alone, or a time alone as headers.

    Read as text, they put a participant's talk into the interviewer's turn, where it is never coded.
    """
    from coder.ingest import parse_text

    text = ("Sara Smith  00:00\nWhat did you do?\n\nJo Bloggs 00:05\nI archived the data.\n\n"
            "Sara Smith\nWhy?\n\n00:20\nBecause.\n\nJo Bloggs  00:30\nWe met at 10:30\n\nSo I said 10:30\n")
    speakers = {"Sara Smith": {"role": "interviewer"}, "Jo Bloggs": {"role": "participant"}}
    p = parse_text(text, format="otter", meta_override={"speakers": speakers})
    got = [(t.label, t.role, text[t.start:t.end], t.line) for t in p.turns]
    assert got == [("Sara Smith", "interviewer", "What did you do?", 1),
                   ("Jo Bloggs", "participant", "I archived the data.", 4),
                   ("Sara Smith", "interviewer", "Why?", 7),
                   ("unknown speaker", "other", "Because.", 10),  # kept, not coded, and reported
                   ("Jo Bloggs", "participant", "We met at 10:30\n\nSo I said 10:30", 13)]  # talk, not headers
    assert len(p.warnings) == 3
    assert any("one space, line(s) 4" in w for w in p.warnings)
    assert any("a name alone, line(s) 7" in w for w in p.warnings)
    assert any("unknown speaker, not coded), line(s) 10" in w for w in p.warnings)


def test_well_formed_otter_gives_no_header_warnings(transcripts):
    assert read_transcript(transcripts / "C-otter.txt").warnings == []
