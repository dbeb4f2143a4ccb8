"""The reports' numbers are the analysis functions' numbers, and the PDF says n of N."""

from __future__ import annotations

import pytest

from coder.cooccur import case_code_matrix, prevalence


@pytest.fixture(scope="module")
def data(coded_sample):
    from coder.reportdata import build_report_data

    return build_report_data(coded_sample)


def test_prevalence_equals_independent_counts(coded_sample, data):
    uc = coded_sample.unit_codes("auto", statuses=("accepted",))
    units = coded_sample.units_frame()
    merged = uc.merge(units[["unit_id", "case"]], on="unit_id")
    prev = prevalence(uc, units[["unit_id", "document", "case", "position"]])
    for row in data["crosscase"]["prevalence"]:
        cases = merged[merged["code"] == row["code"]]["case"].nunique()
        assert row["n_cases"] == cases
        assert row["N_cases"] == 16 and row["N_units"] == len(units)
        if cases:
            assert row["n_cases"] == prev.loc[row["code"], "n_cases"]
            assert row["n_units"] == (merged["code"] == row["code"]).sum()


def test_matrix_equals_case_code_matrix(coded_sample, data):
    m = data["crosscase"]["matrix"]
    uc = coded_sample.unit_codes("auto", statuses=("accepted",))
    units = coded_sample.units_frame()
    ref = case_code_matrix(uc, units[["unit_id", "document", "case", "position"]])
    for i, case in enumerate(m["cases"]):
        for j, code in enumerate(m["codes"]):
            expected = int(ref.loc[case, code]) if code in ref.columns else 0
            assert m["values"][i][j] == expected, (case, code)


def test_family_problem_counts_match_the_matrix(data):
    m = data["crosscase"]["matrix"]
    for fam in data["families"]:
        row = m["values"][m["cases"].index(fam["case"])]
        for p in fam["problems"]:
            if p["code"] in m["codes"]:
                assert p["n_units"] == row[m["codes"].index(p["code"])]
                assert p["mentioned"] == (p["n_units"] > 0)


def test_links_and_loops_match_the_network(coded_sample, data):
    from coder.analysis import project_network

    net = project_network(coded_sample, level="case", statuses=("accepted",))
    assert sorted(tuple(lp["codes"]) for lp in data["crosscase"]["loops"]) == sorted(map(tuple, net.summary["loops"]))
    total = sum(link["count"] for link in data["crosscase"]["links"])
    assert total == len(coded_sample.links_frame("auto"))
