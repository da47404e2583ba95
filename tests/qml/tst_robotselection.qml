import QtQuick 2.15
import QtTest 1.15
import Fleetdeck.Client 1.0

// RobotSelection.selectNextNeedingAttention, behind the N / Shift+N and ] / [ keys: the next or
// previous faulted or stuck robot in robot id order (the list's order), wrapping around.
TestCase {
    name: "RobotSelection"

    function fleet() {
        return [
            { robotId: "nb-0001" },
            { robotId: "nb-0100", mode: Fleet.Fault },  // out of id order in the model
            { robotId: "nb-0002", mode: Fleet.Fault },
            { robotId: "nb-0003", mode: Fleet.Charging },
            { robotId: "nb-0004", mode: Fleet.Stuck },
            { robotId: "nb-0005", mode: Fleet.Delivering, freshness: Fleet.Stale }
        ]
    }

    function init() {
        fixture.load(fleet())
    }

    function test_next_data() {
        return [
            { tag: "nothing selected, forward", from: "", backwards: false, expected: "nb-0002" },
            { tag: "nothing selected, backward", from: "", backwards: true, expected: "nb-0100" },
            { tag: "from a healthy robot", from: "nb-0003", backwards: false, expected: "nb-0004" },
            { tag: "from a healthy robot, backward", from: "nb-0003", backwards: true, expected: "nb-0002" },
            { tag: "from one needing attention", from: "nb-0002", backwards: false, expected: "nb-0004" },
            { tag: "past the last wraps to the first", from: "nb-0100", backwards: false, expected: "nb-0002" },
            { tag: "before the first wraps to the last", from: "nb-0002", backwards: true, expected: "nb-0100" },
            { tag: "from the last robot", from: "nb-0005", backwards: false, expected: "nb-0100" }
        ]
    }
    function test_next(data) {
        fixture.selection.robotId = data.from
        verify(fixture.selection.selectNextNeedingAttention(data.backwards))
        compare(fixture.selection.robotId, data.expected)
        verify(fixture.selection.valid)
    }

    function test_visitsEachInTurn() {
        var seen = []
        for (var i = 0; i < 4; ++i) {
            fixture.selection.selectNextNeedingAttention(false)
            seen.push(fixture.selection.robotId)
        }
        compare(seen, ["nb-0002", "nb-0004", "nb-0100", "nb-0002"])
    }

    function test_followsTheFleet() {
        verify(fixture.update("nb-0004", { mode: Fleet.Autonomous }))
        verify(fixture.update("nb-0003", { mode: Fleet.Stuck }))
        fixture.selection.robotId = "nb-0002"
        verify(fixture.selection.selectNextNeedingAttention(false))
        compare(fixture.selection.robotId, "nb-0003")
    }

    function test_noOtherRobotNeedsAttention_data() {
        return [
            { tag: "none at all", faulted: [], from: "nb-0001" },
            { tag: "only the selected one", faulted: ["nb-0001"], from: "nb-0001" }
        ]
    }
    function test_noOtherRobotNeedsAttention(data) {
        fixture.load([{ robotId: "nb-0001" }, { robotId: "nb-0002" }])
        for (var i = 0; i < data.faulted.length; ++i)
            verify(fixture.update(data.faulted[i], { mode: Fleet.Fault }))
        fixture.selection.robotId = data.from
        verify(!fixture.selection.selectNextNeedingAttention(false))
        verify(!fixture.selection.selectNextNeedingAttention(true))
        compare(fixture.selection.robotId, data.from)
    }
}
