import QtQuick 2.15

// The browser build's stand-in for qml/Fleetdeck/Charts/HistoryCharts.qml (same properties): Qt
// Charts is not in the browser build yet (packaging/wasm/README.md).
Text {
    id: root

    required property var history   // RobotHistory
    required property var colors    // Palette

    text: qsTr("History charts: in the desktop console")
    color: root.colors.textMuted
    font.pixelSize: 12
    elide: Text.ElideRight
}
