import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// Teleoperation of the selected robot (DESIGN.md §5): who drives it, take control or release, the
// e-stop (any robot, no lease), a joystick that drives only while pressed, the measured round trip.
// Everything it shows and does goes through the TeleopController; it keeps no state of its own but
// the joystick's knob.
ColumnLayout {
    id: root

    required property var teleop   // TeleopController
    required property var colors   // Palette
    property var log: null          // TeleopLog aimed at the same robot: its recent teleoperation
    property var gamepad: null      // GamepadInput where the platform has one (the browser)

    spacing: 6

    QtObject {
        id: internal
        readonly property bool gamepadConnected: root.gamepad !== null && root.gamepad.connected
    }

    component PanelButton: Button {
        id: button
        property color fill: root.colors.panelRaised
        property color ink: root.colors.text
        focusPolicy: Qt.NoFocus   // the map keeps the keys, so W/A/S/D keep driving
        font.pixelSize: 13
        topPadding: 6
        bottomPadding: 6
        leftPadding: 12
        rightPadding: 12
        contentItem: Text {
            text: button.text
            font: button.font
            color: button.enabled ? button.ink : root.colors.textMuted
            horizontalAlignment: Text.AlignHCenter
            verticalAlignment: Text.AlignVCenter
        }
        background: Rectangle {
            radius: 4
            color: button.down ? Qt.darker(button.fill, 1.3) : button.fill
            border.color: root.colors.border
            opacity: button.enabled ? 1 : 0.5
        }
    }

    Text {
        Layout.topMargin: 8
        text: qsTr("Remote control")
        color: root.colors.text
        font.pixelSize: 14
        font.bold: true
    }

    Text {
        objectName: "teleopStatusText"
        Layout.fillWidth: true
        text: root.teleop.statusText
        color: root.teleop.holding ? root.colors.good : root.colors.text
        wrapMode: Text.Wrap
        font.pixelSize: 13
    }

    Text {
        objectName: "holderText"
        Layout.fillWidth: true
        visible: root.teleop.holderName !== "" && !root.teleop.holding
        text: qsTr("Driven by %1").arg(root.teleop.holderName)
        color: root.colors.warning
        font.pixelSize: 13
    }

    // Always here, always enabled for any robot: stopping is never the unsafe choice.
    PanelButton {
        objectName: "estopButton"
        Layout.fillWidth: true
        Layout.preferredHeight: 52
        text: root.teleop.estopAcknowledged ? qsTr("E-STOP  ·  confirmed by the robot") : qsTr("E-STOP")
        font.pixelSize: 20
        font.bold: true
        fill: root.colors.danger
        ink: "#ffffff"
        enabled: root.teleop.robotId !== ""
        onClicked: root.teleop.emergencyStop()
    }

    RowLayout {
        Layout.fillWidth: true
        spacing: 6
        PanelButton {
            objectName: "controlButton"
            text: root.teleop.holding ? qsTr("Release") : qsTr("Take control")
            enabled: root.teleop.holding || root.teleop.canDrive
            fill: root.teleop.holding ? root.colors.panelRaised : root.colors.accent
            ink: root.teleop.holding ? root.colors.text : "#ffffff"
            onClicked: root.teleop.holding ? root.teleop.release() : root.teleop.takeControl()
        }
        PanelButton {
            text: qsTr("Resume autonomy")
            enabled: root.teleop.holding
            onClicked: root.teleop.resumeAutonomy()
        }
        Item { Layout.fillWidth: true }
    }

    // Admins only, and only with a reason the previous holder will read.
    RowLayout {
        Layout.fillWidth: true
        visible: root.teleop.canTakeOver
        spacing: 6
        TextField {
            id: takeOverReason
            Layout.fillWidth: true
            placeholderText: qsTr("Why you take over")
            font.pixelSize: 13
        }
        PanelButton {
            text: qsTr("Take over")
            enabled: takeOverReason.text.trim() !== ""
            fill: root.colors.warning
            ink: "#000000"
            onClicked: root.teleop.takeOver(takeOverReason.text)
        }
    }

    RowLayout {
        Layout.fillWidth: true
        spacing: 12

        // Press and drag inside the circle; the robot drives only while it is pressed (the deadman).
        Rectangle {
            id: joystick
            objectName: "joystick"
            readonly property real radius_: width / 2
            Layout.preferredWidth: 120
            Layout.preferredHeight: 120
            radius: radius_
            color: root.colors.panelRaised
            border.color: root.teleop.driving ? root.colors.accent : root.colors.border
            border.width: 2
            opacity: root.teleop.holding ? 1 : 0.45

            Rectangle {
                id: knob
                width: 40; height: 40; radius: 20
                x: joystick.radius_ - 20 + joystickArea.knobX
                y: joystick.radius_ - 20 + joystickArea.knobY
                color: root.teleop.driving ? root.colors.accent : root.colors.border
            }

            MouseArea {
                id: joystickArea
                anchors.fill: parent
                enabled: root.teleop.holding
                preventStealing: true   // inside the detail's Flickable: a drag must not scroll it
                property real knobX: 0
                property real knobY: 0

                function steer(mx, my) {
                    var dx = mx - joystick.radius_
                    var dy = my - joystick.radius_
                    var r = Math.sqrt(dx * dx + dy * dy)
                    var limit = joystick.radius_ - 20
                    if (r > limit) {
                        dx *= limit / r
                        dy *= limit / r
                    }
                    knobX = dx
                    knobY = dy
                    // Up is forward; right is a clockwise turn.
                    root.teleop.setDriveInput(-dy / limit, dx / limit)
                }
                function letGo() {
                    knobX = 0
                    knobY = 0
                    root.teleop.setDriveInput(0, 0)
                    root.teleop.engage(false)
                }
                onPressed: function(mouse) {
                    steer(mouse.x, mouse.y)
                    root.teleop.engage(true)
                }
                onPositionChanged: function(mouse) { steer(mouse.x, mouse.y) }
                onReleased: letGo()
                onCanceled: letGo()
                onEnabledChanged: if (!enabled) letGo()
            }
        }

        ColumnLayout {
            Layout.fillWidth: true
            spacing: 4

            Text {
                Layout.fillWidth: true
                text: root.teleop.driving ? qsTr("Driving: let go to stop")
                                          : internal.gamepadConnected ? qsTr("Hold W/A/S/D, the arrows or the gamepad's A to drive; B e-stops")
                                                                      : qsTr("Hold W/A/S/D or arrows to drive")
                color: root.teleop.driving ? root.colors.accent : root.colors.textMuted
                wrapMode: Text.Wrap
                font.pixelSize: 13
            }
            Text {
                objectName: "gamepadText"
                Layout.fillWidth: true
                visible: internal.gamepadConnected
                text: internal.gamepadConnected ? qsTr("Gamepad: %1").arg(root.gamepad.name) : ""
                color: root.gamepad !== null && root.gamepad.engaged ? root.colors.accent : root.colors.textMuted
                elide: Text.ElideRight
                font.pixelSize: 12
            }
            Text {
                objectName: "roundTripText"
                text: root.teleop.roundTripMs >= 0 ? qsTr("Round trip %1 ms").arg(root.teleop.roundTripMs)
                                                   : qsTr("Round trip: not measured yet")
                color: root.teleop.roundTripMs > 300 ? root.colors.warning : root.colors.text
                font.pixelSize: 13
            }
            // The last minute or so of round trips, scaled to at least 200 ms so noise stays flat.
            Canvas {
                id: sparkline
                Layout.fillWidth: true
                Layout.preferredHeight: 28
                onPaint: {
                    var ctx = getContext("2d")
                    ctx.reset()
                    var h = root.teleop.roundTripHistory
                    if (h.length < 2)
                        return
                    var top = 200
                    for (var i = 0; i < h.length; ++i)
                        top = Math.max(top, h[i])
                    ctx.strokeStyle = root.colors.accent
                    ctx.lineWidth = 1.5
                    ctx.beginPath()
                    for (var j = 0; j < h.length; ++j) {
                        var px = j * (width - 1) / (h.length - 1)
                        var py = height - 1 - h[j] / top * (height - 2)
                        if (j === 0)
                            ctx.moveTo(px, py)
                        else
                            ctx.lineTo(px, py)
                    }
                    ctx.stroke()
                }
                Connections {
                    target: root.teleop
                    function onRoundTripChanged() { sparkline.requestPaint() }
                }
            }
            Text {
                objectName: "limitedText"
                Layout.fillWidth: true
                visible: root.teleop.limited
                text: qsTr("Limited: slow link or speed limit") + (root.teleop.limitReason !== "" ? " (" + root.teleop.limitReason + ")" : "")
                color: root.colors.warning
                wrapMode: Text.Wrap
                font.pixelSize: 12
            }
        }
    }

    Text {
        objectName: "refusalText"
        Layout.fillWidth: true
        visible: root.teleop.lastRefusal !== "" && root.teleop.lastRefusal !== root.teleop.statusText
        text: qsTr("Last refusal: %1").arg(root.teleop.lastRefusal)
        color: root.colors.danger
        wrapMode: Text.Wrap
        font.pixelSize: 12
    }

    // Who drove this robot lately, and how: the audit trail, so an operator taking a robot knows
    // it was e-stopped a minute ago or handed back by a colleague.
    Text {
        Layout.topMargin: 6
        visible: historyRepeater.count > 0
        text: qsTr("Recent teleoperation")
        color: root.colors.textMuted
        font.pixelSize: 12
        font.bold: true
    }
    Repeater {
        id: historyRepeater
        objectName: "teleopHistory"
        model: root.log !== null ? root.log.events : []
        delegate: Text {
            required property var modelData
            Layout.fillWidth: true
            text: {
                const e = modelData
                let line = Qt.formatTime(new Date(e.timeUnixMs), "hh:mm:ss") + "  " + e.title + " · " + e.operatorName
                if (e.kind === 3)  // lease ended: the driving session's figures
                    line += qsTr(" · %1 s, %2 commands, max %3 m/s").arg((e.durationMs / 1000).toFixed(0))
                                .arg(e.commands).arg(e.maxLinearMps.toFixed(1))
                if (e.detail !== "")
                    line += " (" + e.detail + ")"
                return line
            }
            color: modelData.kind === 4 ? root.colors.danger : root.colors.text
            wrapMode: Text.Wrap
            font.pixelSize: 12
        }
    }
}
