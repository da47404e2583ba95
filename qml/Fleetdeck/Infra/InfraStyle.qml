import QtQuick 2.15

// Colours and number formats of the infrastructure view, for one theme. Levels (InfraModel.Level):
// 0 no data, 1 OK, 2 amber, 3 red. Text in a level's colour stays readable on the panel in both themes;
// tints are the backgrounds of tiles at that level.
QtObject {
    id: root

    required property var colors   // Palette
    readonly property bool dark: colors.dark

    readonly property color ok: dark ? "#3ddc84" : "#1a7f37"
    readonly property color amber: dark ? "#ffc107" : "#9a6700"
    readonly property color red: dark ? "#ff5a4f" : "#cf222e"
    readonly property color unknown: colors.textMuted
    readonly property color amberTint: dark ? "#33290a" : "#fff4d4"
    readonly property color redTint: dark ? "#3d1512" : "#ffe3e0"
    // Rules on the charts: the pure signal colours, which read on both plot backgrounds.
    readonly property color amberRule: "#ffb000"
    readonly property color redRule: "#ff3b30"
    // Replica-set members' lines: distinct from each other and from amber and red.
    readonly property var memberColors: dark ? ["#4da3ff", "#c297ff", "#3fd0c9", "#e6edf3", "#7ee787", "#f778ba", "#a5d6ff", "#d2a8ff"]
                                             : ["#0a61c9", "#7a3ec8", "#0f8a84", "#3d444d", "#2b8a3e", "#bf3989", "#4578b8", "#8250df"]
    readonly property color line: colors.series1

    function levelColor(level) {
        return level >= 3 ? red : level === 2 ? amber : level === 1 ? ok : unknown
    }
    function levelTint(level) {
        return level >= 3 ? redTint : level === 2 ? amberTint : colors.panel
    }
    function levelName(level) {
        return level >= 3 ? qsTr("RED") : level === 2 ? qsTr("AMBER") : level === 1 ? qsTr("OK") : qsTr("NO DATA")
    }
    // Colour of a figure judged `level`: normal text unless amber or red.
    function figureColor(level) {
        return level >= 2 ? levelColor(level) : colors.text
    }

    function ms(v) {
        if (v === undefined || isNaN(v)) return "–"
        if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + " s"
        return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + " ms"
    }
    // "4.8 · 14 ms": two latencies under one unit, "–" for a missing one.
    function msPair(a, b) {
        if ((isNaN(a) || a < 1000) && (isNaN(b) || b < 1000)) {
            var f = function(v) { return isNaN(v) ? "–" : v < 10 ? v.toFixed(1) : v.toFixed(0) }
            return f(a) + " · " + f(b) + " ms"
        }
        return ms(a) + " · " + ms(b)
    }
    function seconds(v) {
        if (v === undefined || isNaN(v)) return "–"
        if (v >= 120) return (v / 60).toFixed(0) + " min"
        return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + " s"
    }
    function rate(v) {
        if (v === undefined || isNaN(v)) return "–"
        if (v >= 10000) return (v / 1000).toFixed(0) + "k"
        if (v >= 1000) return (v / 1000).toFixed(1) + "k"
        return v < 10 ? v.toFixed(1) : v.toFixed(0)
    }
    // A share 0..1 as a percentage that keeps small shares visible: 0, <0.1 %, 0.4 %, 12 %.
    function percent(share) {
        if (share === undefined || isNaN(share)) return "–"
        if (share <= 0) return "0"
        if (share < 0.001) return "<0.1 %"
        if (share < 0.1) return (share * 100).toFixed(1) + " %"
        return (share * 100).toFixed(0) + " %"
    }
    function count(v) {
        if (v === undefined || isNaN(v)) return "–"
        if (v >= 1e6) return (v / 1e6).toFixed(1) + " M"
        if (v >= 1e4) return (v / 1e3).toFixed(0) + " k"
        return Math.round(v).toLocaleString(Qt.locale(), "f", 0)
    }
    function age(ms) {
        if (ms < 0) return "–"
        if (ms < 60000) return Math.round(ms / 1000) + " s"
        if (ms < 7200000) return Math.round(ms / 60000) + " min"
        return Math.round(ms / 3600000) + " h"
    }
    // "db-3.fleet.internal:27017" -> "db-3:27017": the part that differs between members.
    function shortName(name) {
        var colon = name.lastIndexOf(":")
        var host = colon >= 0 ? name.substring(0, colon) : name
        var port = colon >= 0 ? name.substring(colon) : ""
        var dot = host.indexOf(".")
        // An IP address stays whole.
        if (dot > 0 && isNaN(Number(host.substring(0, dot))))
            host = host.substring(0, dot)
        return host + port
    }
    function clock(unixMs) {
        return new Date(unixMs).toLocaleTimeString(Qt.locale(), "HH:mm:ss")
    }
}
