import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// Everything known about the selected robot, with the age of that knowledge.
Rectangle {
    id: root

    required property var robot        // RobotSelection.robot: role name -> value
    required property double serverNowMs
    required property var style
    required property var colors
    property bool follow: false

    signal followToggled()
    signal closeRequested()

    readonly property double ageMs: robot.receivedUnixMs !== undefined ? serverNowMs - robot.receivedUnixMs : 0
    readonly property bool live: robot.freshness === 1

    color: colors.panel
    border.color: colors.border

    component Field: RowLayout {
        property string label
        property string value
        property color valueColor: root.colors.text
        Layout.fillWidth: true
        spacing: 8
        Text {
            Layout.preferredWidth: 120
            text: parent.label
            color: root.colors.textMuted
            font.pixelSize: 13
        }
        Text {
            Layout.fillWidth: true
            text: parent.value
            color: parent.valueColor
            font.pixelSize: 13
            elide: Text.ElideRight
        }
    }

    Flickable {
        anchors.fill: parent
        anchors.margins: 12
        contentHeight: content.implicitHeight
        clip: true
        boundsBehavior: Flickable.StopAtBounds

        ColumnLayout {
            id: content
            width: parent.width
            spacing: 6

            RowLayout {
                Layout.fillWidth: true
                Row {
                    Layout.fillWidth: true
                    spacing: 8
                    Rectangle {
                        anchors.verticalCenter: parent.verticalCenter
                        width: 14; height: 14; radius: 7
                        color: root.style.modeColor(root.robot.mode !== undefined ? root.robot.mode : 0)
                    }
                    Text {
                        anchors.verticalCenter: parent.verticalCenter
                        text: root.robot.robotId !== undefined ? root.robot.robotId : ""
                        color: root.colors.text
                        font.pixelSize: 20
                        font.bold: true
                        font.family: "DejaVu Sans Mono"
                    }
                    Text {
                        anchors.verticalCenter: parent.verticalCenter
                        text: root.robot.modeName !== undefined ? root.robot.modeName : ""
                        color: root.style.modeColor(root.robot.mode !== undefined ? root.robot.mode : 0)
                        font.pixelSize: 15
                    }
                }
                Button {
                    text: root.follow ? qsTr("Following") : qsTr("Follow")
                    checkable: true
                    checked: root.follow
                    onClicked: root.followToggled()
                }
                Button {
                    text: "✕"
                    flat: true
                    onClicked: root.closeRequested()
                }
            }

            Text {
                Layout.fillWidth: true
                text: root.live ? qsTr("Updated %1 ago").arg(root.style.formatAge(root.ageMs))
                                : qsTr("%1 — no telemetry for %2. Position and state are the last known.")
                                      .arg(root.style.freshnessName(root.robot.freshness).toUpperCase())
                                      .arg(root.style.formatAge(root.ageMs))
                color: root.live ? root.colors.textMuted : root.colors.warning
                wrapMode: Text.Wrap
                font.pixelSize: 13
            }

            Field { label: qsTr("Task"); value: root.robot.taskId ? root.robot.taskId : qsTr("none") }
            Field {
                label: qsTr("Battery")
                value: root.robot.batteryPct !== undefined ? root.robot.batteryPct.toFixed(0) + " %" : ""
                valueColor: root.robot.batteryPct < 15 ? root.colors.danger
                          : root.robot.batteryPct < 30 ? root.colors.warning : root.colors.text
            }
            Field {
                label: qsTr("Speed")
                value: root.robot.speedMps !== undefined
                       ? qsTr("%1 m/s · heading %2°").arg(root.robot.speedMps.toFixed(1)).arg(root.robot.headingDeg.toFixed(0)) : ""
            }
            Field {
                label: qsTr("Position")
                value: root.robot.latitude !== undefined
                       ? root.robot.latitude.toFixed(6) + ", " + root.robot.longitude.toFixed(6) : ""
            }
            Field {
                label: qsTr("Motors")
                value: root.robot.motorLeftTempC !== undefined
                       ? qsTr("left %1 °C · right %2 °C").arg(root.robot.motorLeftTempC.toFixed(0)).arg(root.robot.motorRightTempC.toFixed(0)) : ""
                valueColor: Math.max(root.robot.motorLeftTempC, root.robot.motorRightTempC) > 70 ? root.colors.danger : root.colors.text
            }
            Field {
                label: qsTr("Sensors")
                value: qsTr("lidar %1 · cameras %2 · GPS %3").arg(root.style.sensorName(root.robot.lidar))
                           .arg(root.style.sensorName(root.robot.cameras)).arg(root.style.sensorName(root.robot.gps))
                valueColor: (root.robot.lidar > 1 || root.robot.cameras > 1 || root.robot.gps > 1) ? root.colors.warning : root.colors.text
            }
            Field {
                label: qsTr("Computer")
                value: root.robot.cpuPct !== undefined
                       ? qsTr("CPU %1 % · disk %2 %").arg(root.robot.cpuPct.toFixed(0)).arg(root.robot.diskPct.toFixed(0)) : ""
            }
            Field {
                label: qsTr("Link")
                value: root.robot.linkRttMs !== undefined
                       ? qsTr("RTT %1 ms · signal %2 dBm").arg(root.robot.linkRttMs.toFixed(0)).arg(root.robot.signalDbm.toFixed(0)) : ""
                valueColor: root.robot.linkRttMs > 250 ? root.colors.warning : root.colors.text
            }

            Text {
                Layout.topMargin: 8
                text: root.robot.faultCount > 0 ? qsTr("Active faults") : qsTr("No active faults")
                color: root.robot.faultCount > 0 ? root.colors.danger : root.colors.textMuted
                font.pixelSize: 14
                font.bold: true
            }
            Repeater {
                model: root.robot.faults !== undefined ? root.robot.faults : []
                delegate: Text {
                    required property var modelData
                    Layout.fillWidth: true
                    wrapMode: Text.Wrap
                    color: root.colors.text
                    font.pixelSize: 13
                    text: "• " + modelData.description + (modelData.detail ? " (" + modelData.detail + ")" : "")
                }
            }
        }
    }
}
