import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// The console's keys, opened with "?" or F1; Esc or a click outside closes it.
Popup {
    id: root

    required property var colors   // Palette

    readonly property var entries: [
        { keys: "? · F1", what: qsTr("Show these keys") },
        { keys: "Ctrl+1 · Ctrl+2", what: qsTr("Fleet map · Infrastructure (database, proxy, Kafka); Ctrl+Tab switches") },
        { keys: "Ctrl+F", what: qsTr("Search robots and tasks") },
        { keys: "N · ]", what: qsTr("Next robot needing attention (fault or stuck)") },
        { keys: "Shift+N · [", what: qsTr("Previous robot needing attention") },
        { keys: "Esc", what: qsTr("Clear the selection") },
        { keys: "F", what: qsTr("Follow the selected robot") },
        { keys: "+ −  or wheel", what: qsTr("Zoom the map") },
        { keys: "Arrows or drag", what: qsTr("Pan the map") },
        { keys: "W A S D · arrows", what: qsTr("Drive, while you hold control: hold to drive, let go to stop") },
        { keys: "Ctrl+T", what: qsTr("Dark or light theme") }
    ]

    modal: true
    focus: true
    anchors.centerIn: Overlay.overlay
    padding: 20
    closePolicy: Popup.CloseOnEscape | Popup.CloseOnPressOutside

    background: Rectangle {
        color: root.colors.panel
        border.color: root.colors.border
        radius: 8
    }

    contentItem: ColumnLayout {
        spacing: 8
        Text {
            text: qsTr("Keyboard")
            color: root.colors.text
            font.pixelSize: 17
            font.bold: true
        }
        Repeater {
            model: root.entries
            delegate: RowLayout {
                required property var modelData
                spacing: 16
                Text {
                    Layout.preferredWidth: 150
                    text: modelData.keys
                    color: root.colors.accent
                    font.pixelSize: 14
                    font.family: "DejaVu Sans Mono"
                }
                Text {
                    text: modelData.what
                    color: root.colors.text
                    font.pixelSize: 14
                }
            }
        }
    }
}
