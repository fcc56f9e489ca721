"""Production history: a lot's genealogy both ways, with what made it and what was measured."""

from __future__ import annotations

import pytest

from smartfactory.errors import NotFoundError
from smartfactory.ingest.importer import import_files
from smartfactory.quality.genealogy import trace


@pytest.fixture
def plant(store, write):
    files = [
        write(
            "lots.csv",
            "lot,product,quantity,created,machine,order,supplier\n"
            "RM-1,RM-STEEL,1000,2025-03-01T08:00,,,POSCO\n"
            "RM-2,RM-RESIN,500,2025-03-01T08:00,,,LG\n"
            "L-1,P-100,200,2025-03-03T10:00,M1,O-1,\n"
            "L-2,P-100,180,2025-03-03T12:00,M1,O-1,\n"
            "F-1,FG-100,300,2025-03-04T10:00,M9,O-9,\n",
        ),
        write(
            "genealogy.csv",
            "parent_lot,child_lot,quantity,ts\n"
            "RM-1,L-1,100,2025-03-03T08:00\nRM-2,L-1,20,2025-03-03T08:00\n"
            "RM-1,L-2,90,2025-03-03T10:00\nL-1,F-1,150,2025-03-04T08:00\n"
            "L-2,F-1,150,2025-03-04T08:00\n",
        ),
        write(
            "orders.csv",
            "order,product,quantity,due\nO-1,P-100,380,2025-03-05\nO-9,FG-100,300,2025-03-06\n",
        ),
        write(
            "counts.csv",
            "machine,ts,product,good,scrap,rework,order,lot\n"
            "M1,2025-03-03T09:00,P-100,95,5,0,O-1,L-1\nM1,2025-03-03T10:00,P-100,105,0,0,O-1,L-1\n",
        ),
        write(
            "inspections.csv",
            "ts,characteristic,value,lot,lsl,usl\n"
            "2025-03-03T10:05,diameter,10.01,L-1,9.95,10.05\n"
            "2025-03-03T10:06,diameter,10.07,L-1,9.95,10.05\n",
        ),
    ]
    reports = import_files(store, files)
    assert all(r.ok and r.result.rejected == 0 for r in reports), [r.as_dict() for r in reports]
    return store


def test_trace_goes_both_ways_through_several_levels(plant):
    tr = trace(plant, "L-1")
    assert [(n.lot, n.depth) for n in tr.upstream] == [("RM-1", -1), ("RM-2", -1)]
    assert tr.upstream[0].info["supplier"] == "POSCO"
    assert [(n.lot, n.depth, n.via) for n in tr.downstream] == [("F-1", 1, "L-1")]
    assert [o["order"] for o in tr.orders] == ["O-1"]
    (prod,) = tr.production
    assert (prod["machine"], prod["good"], prod["scrap"]) == ("M1", 200, 5)
    (insp,) = tr.inspections
    assert (insp["characteristic"], insp["n"], insp["out_of_spec"]) == ("diameter", 2, 1)


def test_a_raw_lot_reaches_every_finished_lot_made_from_it(plant):
    tr = trace(plant, "RM-1")
    assert [(n.lot, n.depth) for n in tr.downstream] == [("L-1", 1), ("L-2", 1), ("F-1", 2)]
    assert tr.upstream == []
    finished = trace(plant, "F-1")
    assert {n.lot for n in finished.upstream} == {"L-1", "L-2", "RM-1", "RM-2"}


def test_an_unknown_lot_says_so(plant):
    with pytest.raises(NotFoundError, match="NOPE"):
        trace(plant, "NOPE")


def test_a_cycle_in_bad_data_does_not_hang(plant, write):
    import_files(plant, [write("g2.csv", "parent_lot,child_lot\nF-1,RM-1\n")])
    tr = trace(plant, "RM-1")
    assert {n.lot for n in tr.downstream} == {"L-1", "L-2", "F-1"}
