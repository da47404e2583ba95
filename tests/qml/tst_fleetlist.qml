import QtQuick 2.15
import QtTest 1.15
import Fleetdeck.Client 1.0
import Fleetdeck.Console 1.0

// FleetList against a real RobotModel and RobotFilterModel: search, filters, the count, and the
// selection in both directions (a click selects; a selection made elsewhere is shown and scrolled to).
// TestCase is an invisible Item: the components under test go on this visible stage.
Item {
    id: stage
    width: 400
    height: 600

    TestCase {
        id: testCase
        name: "FleetList"
        when: windowShown

        Palette { id: palette }

        Component {
            id: listComponent
            FleetList {
                width: 400
                height: 600
                model: fixture.fleetList
                selection: fixture.selection
                style: fixture.style
                colors: palette
            }
        }

        function smallFleet() {
            return [
                { robotId: "nb-0001", taskId: "T-1001", mode: Fleet.Autonomous, batteryPct: 80 },
                { robotId: "nb-0002", taskId: "T-1002", mode: Fleet.Fault, batteryPct: 55 },
                { robotId: "nb-0003", taskId: "", mode: Fleet.Charging, batteryPct: 12 },
                { robotId: "nb-0004", taskId: "T-2004", mode: Fleet.Stuck, batteryPct: 18 },
                { robotId: "nb-0005", taskId: "T-2005", mode: Fleet.Delivering, batteryPct: 64, freshness: Fleet.Stale },
                { robotId: "nb-0006", taskId: "T-1006", mode: Fleet.Idle, batteryPct: 95, freshness: Fleet.Lost },
                // Out of id order in the model: the list sorts by id.
                { robotId: "nb-0100", taskId: "T-0042", mode: Fleet.Autonomous, batteryPct: 19.5 },
                { robotId: "nb-0010", taskId: "T-9999", mode: Fleet.Returning, batteryPct: 40 }
            ]
        }

        function bigFleet(count) {
            var robots = []
            for (var i = 0; i < count; ++i)
                robots.push({ robotId: "nb-" + ("000" + i).slice(-4), taskId: "T-" + (5000 + i) })
            return robots
        }

        function createList() {
            var list = createTemporaryObject(listComponent, stage)
            verify(list, "FleetList created")
            // The column lays out on the next polish; clicks and delegates need its sizes.
            waitForRendering(list)
            return list
        }

        // The robot ids the list shows, in order.
        function shownIds(list) {
            var view = findChild(list, "robotList")
            var ids = []
            for (var i = 0; i < view.count; ++i) {
                view.positionViewAtIndex(i, ListView.Contain)
                ids.push(view.itemAtIndex(i).robotId)
            }
            return ids
        }

        function typeSearch(list, text) {
            var field = findChild(list, "searchField")
            list.focusSearch()
            verify(field.activeFocus)
            for (var i = 0; i < text.length; ++i)
                keyClick(text.charAt(i))
            compare(field.text, text)
        }

        function init() {
            fixture.load(smallFleet())
        }

        function test_showsTheWholeFleetSortedById() {
            var list = createList()
            compare(shownIds(list), ["nb-0001", "nb-0002", "nb-0003", "nb-0004", "nb-0005", "nb-0006", "nb-0010", "nb-0100"])
            compare(findChild(list, "shownCount").text, "8 shown")
        }

        function test_search_data() {
            return [
                { tag: "by id", text: "nb-0004", shown: ["nb-0004"] },
                { tag: "by part of an id", text: "nb-001", shown: ["nb-0010"] },
                { tag: "by id, any case", text: "NB-010", shown: ["nb-0100"] },
                { tag: "by task", text: "T-0042", shown: ["nb-0100"] },
                { tag: "by part of a task", text: "T-10", shown: ["nb-0001", "nb-0002", "nb-0006"] },
                { tag: "by id or task", text: "00", shown: ["nb-0001", "nb-0002", "nb-0003", "nb-0004", "nb-0005", "nb-0006", "nb-0010", "nb-0100"] },
                { tag: "nothing matches", text: "zz", shown: [] }
            ]
        }
        function test_search(data) {
            var list = createList()
            typeSearch(list, data.text)
            compare(fixture.fleetList.searchText, data.text)
            compare(shownIds(list), data.shown)
            compare(findChild(list, "shownCount").text, data.shown.length + " shown")
        }

        function test_filters_data() {
            return [
                { tag: "needs attention", click: ["attention"], shown: ["nb-0002", "nb-0004"] },
                { tag: "stale or lost", click: ["stale"], shown: ["nb-0005", "nb-0006"] },
                { tag: "battery below 20 %", click: ["battery"], shown: ["nb-0003", "nb-0004", "nb-0100"] },
                { tag: "one filter at a time", click: ["attention", "battery"], shown: ["nb-0003", "nb-0004", "nb-0100"] },
                { tag: "all again", click: ["stale", "all"], shown: ["nb-0001", "nb-0002", "nb-0003", "nb-0004", "nb-0005", "nb-0006", "nb-0010", "nb-0100"] }
            ]
        }
        function test_filters(data) {
            var list = createList()
            for (var i = 0; i < data.click.length; ++i) {
                var chip = findChild(list, "filter-" + data.click[i])
                verify(chip, data.click[i])
                mouseClick(chip)
            }
            compare(shownIds(list), data.shown)
            compare(findChild(list, "shownCount").text, data.shown.length + " shown")
            var last = findChild(list, "filter-" + data.click[data.click.length - 1])
            verify(last.active, "the chip clicked last is shown active")
        }

        function test_searchAndFilterCombine() {
            var list = createList()
            mouseClick(findChild(list, "filter-attention"))
            typeSearch(list, "T-2")
            compare(shownIds(list), ["nb-0004"])
        }

        // The list follows the fleet: a robot that stops needing attention leaves the filtered list.
        function test_sortBySlowFields_data() {
            return [
                { tag: "needs attention first", key: 1,
                  order: ["nb-0002", "nb-0004", "nb-0005", "nb-0006", "nb-0001", "nb-0003", "nb-0010", "nb-0100"] },
                { tag: "battery, lowest first", key: 2,
                  order: ["nb-0003", "nb-0004", "nb-0100", "nb-0010", "nb-0002", "nb-0005", "nb-0001", "nb-0006"] },
                { tag: "data age, lost then stale", key: 3,
                  order: ["nb-0006", "nb-0005", "nb-0001", "nb-0002", "nb-0003", "nb-0004", "nb-0010", "nb-0100"] }
            ]
        }

        function test_sortBySlowFields(data) {
            var list = createList()
            list.model.sortKey = data.key
            compare(shownIds(list), data.order)
            list.model.sortKey = 0
        }

        function test_sortFollowsDeltas() {
            var list = createList()
            list.model.sortKey = 2
            verify(fixture.update("nb-0006", { batteryPct: 5 }))
            compare(shownIds(list)[0], "nb-0006")
            list.model.sortKey = 0
        }

        function test_filteredListFollowsDeltas() {
            var list = createList()
            mouseClick(findChild(list, "filter-attention"))
            compare(shownIds(list), ["nb-0002", "nb-0004"])
            verify(fixture.update("nb-0004", { mode: Fleet.Autonomous }))
            compare(shownIds(list), ["nb-0002"])
            verify(fixture.update("nb-0010", { mode: Fleet.Fault }))
            compare(shownIds(list), ["nb-0002", "nb-0010"])
            compare(findChild(list, "shownCount").text, "2 shown")
        }

        function test_clickingARowSelectsTheRobot() {
            var list = createList()
            var view = findChild(list, "robotList")
            var activated = signalSpy.createObject(testCase, { target: list, signalName: "activated" })
            var row = view.itemAtIndex(6)
            compare(row.robotId, "nb-0010")
            mouseClick(row)
            compare(fixture.selection.robotId, "nb-0010")
            compare(activated.count, 1)
            compare(activated.signalArguments[0][0], fixture.robots.rowOf("nb-0010"))
            compare(view.currentIndex, 6)
            verify(row.selected)
            verify(!view.itemAtIndex(0).selected)
        }

        function test_selectionMadeElsewhereIsHighlightedAndScrolledTo() {
            fixture.load(bigFleet(200))
            var list = createList()
            var view = findChild(list, "robotList")
            compare(view.count, 200)

            fixture.selection.robotId = "nb-0180"
            compare(view.currentIndex, 180)
            var row = view.itemAtIndex(180)
            verify(row, "the selected row is created, so it is in view")
            verify(row.selected)
            verify(row.y >= view.contentY && row.y + row.height <= view.contentY + view.height,
                   "row at " + row.y + " within " + view.contentY + " + " + view.height)

            fixture.selection.robotId = "nb-0003"
            compare(view.currentIndex, 3)
            row = view.itemAtIndex(3)
            verify(row && row.selected)
            verify(row.y >= view.contentY && row.y + row.height <= view.contentY + view.height)

            // Filtered out: nothing is highlighted, and the selection stays.
            typeSearch(list, "nb-01")
            tryCompare(view, "currentIndex", -1)
            compare(fixture.selection.robotId, "nb-0003")
        }

        Component {
            id: signalSpy
            SignalSpy {}
        }
    }
}
