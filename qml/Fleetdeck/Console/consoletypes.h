#pragma once

#include <QColor>
#include <QObject>

class QQmlEngine;

namespace fleetdeck {

// Registers the console's C++ types (and those of the modules it uses) with QML, and adds the
// import path of the QML modules compiled into the binary.
void registerConsoleTypes();
void addConsoleImportPath(QQmlEngine *engine);

// Colours and names the console uses for robot modes and freshness, one place for list, detail and
// map. Thread: main.
class ConsoleStyle : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool dark READ dark WRITE setDark NOTIFY darkChanged)

public:
    using QObject::QObject;

    [[nodiscard]] bool dark() const { return m_dark; }
    void setDark(bool dark);

    Q_INVOKABLE QColor modeColor(int mode) const;
    Q_INVOKABLE QString modeName(int mode) const;
    Q_INVOKABLE QString freshnessName(int freshness) const;
    Q_INVOKABLE QString sensorName(int status) const;
    Q_INVOKABLE QString faultDescription(int code) const;
    // "0.4 s", "12 s", "3 min", "2 h"
    Q_INVOKABLE QString formatAge(double ageMs) const;

Q_SIGNALS:
    void darkChanged();

private:
    bool m_dark = true;
};

}  // namespace fleetdeck
