#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

class QQuickWindow;

namespace fleetdeck {

// Writes a PNG of the window once the console reports robots drawn (its `ready` property), after a
// settle time for animations, then quits. For docs and visual checks of any screen a user sees.
// Thread: main.
class Screenshotter : public QObject
{
    Q_OBJECT

public:
    Screenshotter(QQuickWindow *window, QString path, int settleMs, int timeoutMs, QObject *parent = nullptr);

private Q_SLOTS:
    void onReadyChanged();

private:
    void capture();

    QQuickWindow *m_window;
    QString m_path;
    int m_settleMs;
    QTimer m_settle;
    QTimer m_timeout;
};

}  // namespace fleetdeck
