import QtQuick 2.15
import QtQuick.Layouts 1.15
import Fleetdeck.Console.Types 1.0

// The selected robot's last minutes as small multiples: battery, speed, link RTT and motor
// temperatures, on one time axis. The same file in both builds: only the plots differ (Qt Charts on
// the desktop, the scene graph in the browser; see CMakeLists.txt).
ColumnLayout {
    id: root

    required property var history   // RobotHistory
    required property var colors    // Palette

    spacing: 4

    Text {
        Layout.fillWidth: true
        text: {
            var s = Math.round(root.history.spanMs / 1000)
            var span = s < 90 ? qsTr("%1 s").arg(s) : qsTr("%1 min").arg(Math.round(s / 6) / 10)
            return root.history.spanMs < root.history.windowMs ? qsTr("Last %1, since selected").arg(span)
                                                               : qsTr("Last %1").arg(span)
        }
        color: root.colors.textMuted
        font.pixelSize: 12
        elide: Text.ElideRight
    }

    GridLayout {
        Layout.fillWidth: true
        columns: 2
        columnSpacing: 12
        rowSpacing: 8

        HistoryChart {
            Layout.fillWidth: true
            history: root.history
            colors: root.colors
            title: qsTr("Battery")
            unit: "%"
            quantity: RobotHistory.Battery
            fixedMin: 0
            fixedMax: 100
        }
        HistoryChart {
            Layout.fillWidth: true
            history: root.history
            colors: root.colors
            title: qsTr("Speed")
            unit: "m/s"
            decimals: 1
            quantity: RobotHistory.Speed
            fixedMin: 0
            minSpan: 2
            step: 0.5
        }
        HistoryChart {
            Layout.fillWidth: true
            history: root.history
            colors: root.colors
            title: qsTr("Link RTT")
            unit: "ms"
            quantity: RobotHistory.LinkRtt
            fixedMin: 0
            minSpan: 100
            step: 50
        }
        HistoryChart {
            Layout.fillWidth: true
            history: root.history
            colors: root.colors
            title: qsTr("Motors")
            unit: "°C"
            quantity: RobotHistory.MotorLeftTemp
            secondQuantity: RobotHistory.MotorRightTemp
            firstLabel: qsTr("L")
            secondLabel: qsTr("R")
            minSpan: 10
            step: 5
        }
    }
}
