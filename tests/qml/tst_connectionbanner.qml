import QtQuick 2.15
import QtTest 1.15
import Fleetdeck.Console 1.0

// ConnectionBanner and EmptyFleetNotice against a stand-in client and summary (plain QtObjects with
// the properties they read), so every connection state can be set directly, and the retry countdown
// driven by the summary's clock rather than by waiting.
// TestCase is an invisible Item: the components under test go on this visible stage.
Item {
    id: stage
    width: 1000
    height: 700

    TestCase {
        id: testCase
        name: "ConnectionBanner"
        when: windowShown

        Palette { id: palette }

        QtObject {
            id: fakeClient
            property int state: 3
            property string stateText: ""
            property string lastError: ""
            property url url: "ws://fleet.example:8765"
            property int reconnectAttempt: 0
            property int reconnectDelayMs: 0
            property string serverName: "fleetdeckd"
            property string upstreamProblem: ""
        }
        QtObject {
            id: fakeSummary
            property int total: 10
            property int staleCount: 0
            property int lostCount: 0
            property double serverNowMs: 1000000
        }

        Component {
            id: bannerComponent
            ConnectionBanner {
                client: fakeClient
                summary: fakeSummary
                colors: palette
            }
        }
        Component {
            id: noticeComponent
            EmptyFleetNotice {
                client: fakeClient
                summary: fakeSummary
                colors: palette
            }
        }

        function init() {
            fakeClient.state = 3
            fakeClient.stateText = "Live"
            fakeClient.lastError = ""
            fakeClient.reconnectAttempt = 0
            fakeClient.reconnectDelayMs = 0
            fakeSummary.total = 10
            fakeSummary.staleCount = 0
            fakeSummary.lostCount = 0
            fakeSummary.serverNowMs = 1000000
        }

        function test_kind_data() {
            return [
                { tag: "live, fresh data", state: 3, attempt: 0, total: 10, stale: 0, lost: 0, upstream: "", kind: "", title: "" },
                { tag: "live, some stale", state: 3, attempt: 0, total: 10, stale: 3, lost: 2, upstream: "", kind: "", title: "" },
                { tag: "first connection", state: 1, attempt: 0, total: 0, stale: 0, lost: 0, upstream: "", kind: "connecting", title: "Connecting to ws://fleet.example:8765…" },
                { tag: "loading the fleet", state: 2, attempt: 0, total: 0, stale: 0, lost: 0, upstream: "", kind: "loading", title: "Loading the fleet…" },
                { tag: "backend unreachable, waiting", state: 4, attempt: 2, total: 10, stale: 0, lost: 0, upstream: "", kind: "unreachable", title: "Backend unreachable" },
                { tag: "backend unreachable, retrying", state: 1, attempt: 3, total: 10, stale: 0, lost: 0, upstream: "", kind: "unreachable", title: "Backend unreachable" },
                { tag: "connected, no telemetry", state: 3, attempt: 0, total: 10, stale: 4, lost: 6, upstream: "", kind: "noTelemetry", title: "Connected, but no telemetry" },
                { tag: "connected, Kafka unreachable upstream", state: 3, attempt: 0, total: 10, stale: 0, lost: 0, upstream: "Kafka brokers unreachable", kind: "upstream", title: "Connected, but the backend cannot reach Kafka" },
                { tag: "disconnected", state: 0, attempt: 0, total: 0, stale: 0, lost: 0, upstream: "", kind: "disconnected", title: "Not connected" }
            ]
        }
        function test_kind(data) {
            fakeClient.state = data.state
            fakeClient.stateText = ["Not connected", "Connecting to ws://fleet.example:8765…", "Loading the fleet…", "Live",
                                "Backend unreachable: retrying in 1 s"][data.state]
            fakeClient.reconnectAttempt = data.attempt
            fakeSummary.total = data.total
            fakeSummary.staleCount = data.stale
            fakeSummary.lostCount = data.lost
            fakeClient.upstreamProblem = data.upstream
            var banner = createTemporaryObject(bannerComponent, stage)
            verify(banner)
            compare(banner.kind, data.kind)
            compare(banner.visible, data.kind !== "")
            if (data.kind !== "")
                compare(findChild(banner, "bannerTitle").text, data.title)
            if (data.kind === "upstream")
                verify(banner.detail.indexOf("Kafka brokers unreachable") === 0, banner.detail)
            if (data.kind === "noTelemetry")
                verify(banner.detail.indexOf("All 10 robots are stale or lost") === 0, banner.detail)
        }

        function test_countsDownToTheNextAttempt() {
            var banner = createTemporaryObject(bannerComponent, stage)
            fakeClient.lastError = "Connection refused"
            fakeClient.reconnectAttempt = 1
            fakeClient.reconnectDelayMs = 5000
            fakeClient.state = 4
            compare(banner.kind, "unreachable")
            var detail = findChild(banner, "bannerDetail")
            compare(detail.text.split("\n")[0], "Retrying in 5 s (attempt 1).")
            verify(detail.text.indexOf("Connection refused") > 0)
            verify(detail.text.indexOf("ws://fleet.example:8765") > 0)

            fakeSummary.serverNowMs += 1000
            compare(banner.secondsToRetry, 4)
            fakeSummary.serverNowMs += 3500
            compare(detail.text.split("\n")[0], "Retrying in 1 s (attempt 1).")
            fakeSummary.serverNowMs += 2000
            compare(banner.secondsToRetry, 0)

            // The attempt fails; the client waits longer and says so again.
            fakeClient.state = 1
            compare(detail.text.split("\n")[0], "Retrying now (attempt 1)…")
            fakeClient.reconnectAttempt = 2
            fakeClient.reconnectDelayMs = 9000
            fakeClient.state = 4
            compare(detail.text.split("\n")[0], "Retrying in 9 s (attempt 2).")
        }

        function test_emptyFleetSaysWhy_data() {
            return [
                { tag: "connected, no robots yet", state: 3, attempt: 0, total: 0, reason: "noRobots", title: "No robots yet", mentions: "received no telemetry" },
                { tag: "no backend at the URL", state: 4, attempt: 1, total: 0, reason: "noBackend", title: "No fleet data", mentions: "--backend" },
                { tag: "no backend, retrying", state: 1, attempt: 4, total: 0, reason: "noBackend", title: "No fleet data", mentions: "ws://fleet.example:8765" },
                { tag: "first connection", state: 1, attempt: 0, total: 0, reason: "", title: "", mentions: "" },
                { tag: "robots to show", state: 4, attempt: 1, total: 5, reason: "", title: "", mentions: "" }
            ]
        }
        function test_emptyFleetSaysWhy(data) {
            fakeClient.state = data.state
            fakeClient.reconnectAttempt = data.attempt
            fakeSummary.total = data.total
            var notice = createTemporaryObject(noticeComponent, stage)
            verify(notice)
            compare(notice.reason, data.reason)
            compare(notice.visible, data.reason !== "")
            if (data.reason !== "") {
                compare(findChild(notice, "emptyTitle").text, data.title)
                var detail = findChild(notice, "emptyDetail").text
                verify(detail.indexOf(data.mentions) >= 0, detail)
            }
        }
    }
}
