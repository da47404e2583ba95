import QtQuick 2.15

// The console's UI colours for one theme; robot mode colours come from ConsoleStyle (shared with the map).
QtObject {
    property bool dark: true
    readonly property color window: dark ? "#0e1116" : "#f3f4f6"
    readonly property color panel: dark ? "#161b22" : "#ffffff"
    readonly property color panelRaised: dark ? "#1f2630" : "#eef0f3"
    readonly property color border: dark ? "#2a313c" : "#d5d9df"
    readonly property color text: dark ? "#e6edf3" : "#1c2128"
    readonly property color textMuted: dark ? "#8b949e" : "#5b636d"
    readonly property color accent: "#4da3ff"
    readonly property color good: "#3ddc84"
    readonly property color warning: "#ffc107"
    readonly property color danger: "#ff3b30"
    readonly property color selection: dark ? "#24364d" : "#dbe9ff"
    // Charts: a plot area a shade off the panel, faint grid, two line colours that read on both.
    readonly property color chartPlot: dark ? "#0f141a" : "#f8f9fb"
    readonly property color chartGrid: dark ? "#252c36" : "#e3e6ea"
    readonly property color series1: dark ? "#4da3ff" : "#0a61c9"
    readonly property color series2: dark ? "#ffa657" : "#b35900"
}
