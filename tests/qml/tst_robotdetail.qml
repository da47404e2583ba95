import QtQuick 2.15
import QtTest 1.15
import Fleetdeck.Client 1.0
import Fleetdeck.Console 1.0

// RobotDetail bound to RobotSelection.robot, as in the console: its texts follow deltas to the
// selected robot, and only to it.
// TestCase is an invisible Item: the components under test go on this visible stage.
Item {
    id: stage
    width: 400
    height: 700

    TestCase {
        id: testCase
        name: "RobotDetail"
        when: windowShown

        Palette { id: palette }

        Component {
            id: detailComponent
            RobotDetail {
                width: 400
                height: 700
                robot: fixture.selection.robot
                serverNowMs: fixture.nowMs
                style: fixture.style
                colors: palette
            }
        }

        function fleet() {
            return [
                { robotId: "nb-0001", taskId: "T-1001", mode: Fleet.Autonomous, batteryPct: 80 },
                { robotId: "nb-0002", taskId: "T-1002", mode: Fleet.Fault, batteryPct: 55.4,
                  faults: [{ code: 1, detail: "left 84 °C" }] },
                { robotId: "nb-0003", taskId: "", mode: Fleet.Charging, batteryPct: 12 }
            ]
        }

        function createDetail() {
            var detail = createTemporaryObject(detailComponent, stage)
            verify(detail, "RobotDetail created")
            return detail
        }
        function textOf(detail, name) {
            var item = findChild(detail, name)
            verify(item, name)
            return item.text
        }
        function faultTexts(detail) {
            var repeater = findChild(detail, "faultRepeater")
            var texts = []
            for (var i = 0; i < repeater.count; ++i)
                texts.push(repeater.itemAt(i).text)
            return texts
        }

        function init() {
            fixture.load(fleet())
            fixture.selection.robotId = "nb-0002"
        }

        function test_showsTheSelectedRobot() {
            var detail = createDetail()
            compare(textOf(detail, "robotIdText"), "nb-0002")
            compare(textOf(detail, "modeNameText"), "fault")
            compare(findChild(detail, "batteryField").value, "55 %")
            compare(textOf(detail, "freshnessText"), "Updated 0.0 s ago")
        }

        function test_followsDeltasToTheSelectedRobot_data() {
            return [
                { tag: "battery", changes: { batteryPct: 12.2 }, item: "batteryField", property: "value", expected: "12 %" },
                { tag: "mode", changes: { mode: Fleet.Teleop }, item: "modeNameText", property: "text", expected: "teleop" },
                { tag: "mode back to driving", changes: { mode: Fleet.Delivering }, item: "modeNameText", property: "text", expected: "delivering" }
            ]
        }
        function test_followsDeltasToTheSelectedRobot(data) {
            var detail = createDetail()
            verify(fixture.update("nb-0002", data.changes))
            compare(findChild(detail, data.item)[data.property], data.expected)
        }

        function test_batteryColourWarns() {
            var detail = createDetail()
            var battery = findChild(detail, "batteryField")
            compare(battery.valueColor, palette.text)
            verify(fixture.update("nb-0002", { batteryPct: 25 }))
            compare(battery.valueColor, palette.warning)
            verify(fixture.update("nb-0002", { batteryPct: 9 }))
            compare(battery.valueColor, palette.danger)
        }

        function test_ignoresOtherRobots() {
            var detail = createDetail()
            verify(fixture.update("nb-0001", { batteryPct: 3, mode: Fleet.Stuck }))
            verify(fixture.update("nb-0003", { faults: [{ code: 6 }] }))
            compare(findChild(detail, "batteryField").value, "55 %")
            compare(textOf(detail, "modeNameText"), "fault")
            compare(faultTexts(detail).length, 1)
        }

        function test_staleAndLostSayHowLongSinceTelemetry_data() {
            return [
                { tag: "stale", freshness: Fleet.Stale, silentMs: 7000, expected: "STALE — no telemetry for 7.0 s. Position and state are the last known." },
                { tag: "lost", freshness: Fleet.Lost, silentMs: 45000, expected: "LOST — no telemetry for 45 s. Position and state are the last known." }
            ]
        }
        function test_staleAndLostSayHowLongSinceTelemetry(data) {
            var detail = createDetail()
            var freshness = findChild(detail, "freshnessText")
            fixture.advance(data.silentMs)
            verify(fixture.update("nb-0002", { freshness: data.freshness }))
            compare(freshness.text, data.expected)
            compare(freshness.color, palette.warning)

            // The age keeps counting with the clock, with no new data.
            fixture.advance(60000)
            verify(freshness.text.indexOf("no telemetry for " + fixture.style.formatAge(data.silentMs + 60000)) > 0,
                   freshness.text)

            // Telemetry again: live, just updated.
            verify(fixture.update("nb-0002", { batteryPct: 54 }))
            compare(freshness.text, "Updated 0.0 s ago")
            compare(freshness.color, palette.textMuted)
        }

        function test_listsFaultsWithTheirDescriptions() {
            var detail = createDetail()
            compare(textOf(detail, "faultsHeader"), "Active faults")
            compare(faultTexts(detail), ["• " + fixture.style.faultDescription(1) + " (left 84 °C)"])

            verify(fixture.update("nb-0002", { faults: [{ code: 6 }, { code: 3, detail: "front left" }, { code: 99 }] }))
            compare(faultTexts(detail), ["• " + fixture.style.faultDescription(6),
                                         "• " + fixture.style.faultDescription(3) + " (front left)",
                                         "• Unknown fault 99"])
            verify(fixture.style.faultDescription(6).indexOf("Wheel blocked") === 0)

            verify(fixture.update("nb-0002", { faults: [], mode: Fleet.Autonomous }))
            compare(textOf(detail, "faultsHeader"), "No active faults")
            compare(faultTexts(detail), [])
        }

        function test_followsTheSelectionToAnotherRobot() {
            var detail = createDetail()
            fixture.selection.robotId = "nb-0003"
            compare(textOf(detail, "robotIdText"), "nb-0003")
            compare(textOf(detail, "modeNameText"), "charging")
            compare(findChild(detail, "batteryField").value, "12 %")
            compare(faultTexts(detail), [])
        }
    }
}
