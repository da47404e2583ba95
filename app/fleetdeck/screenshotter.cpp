#include "screenshotter.h"

#include <QCoreApplication>
#include <QImage>
#include <QQuickWindow>

#include <cstdio>

namespace fleetdeck {

Screenshotter::Screenshotter(QQuickWindow *window, QString path, int settleMs, int timeoutMs, QObject *parent)
    : QObject(parent), m_window(window), m_path(std::move(path)), m_settleMs(settleMs)
{
    m_settle.setSingleShot(true);
    connect(&m_settle, &QTimer::timeout, this, &Screenshotter::capture);
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        std::fprintf(stderr, "fleetdeck: nothing to show after %d ms; writing the screenshot anyway\n",
                     m_timeout.interval());
        capture();
    });
    m_timeout.start(timeoutMs);
    // The property is declared in Main.qml; connect by its notify signal.
    const int index = window->metaObject()->indexOfProperty("ready");
    if (index >= 0) {
        const QMetaProperty ready = window->metaObject()->property(index);
        connect(window, ready.notifySignal(), this,
                metaObject()->method(metaObject()->indexOfMethod("onReadyChanged()")));
    }
    onReadyChanged();
}

void Screenshotter::onReadyChanged()
{
    if (m_window->property("ready").toBool() && !m_settle.isActive())
        m_settle.start(m_settleMs);
}

void Screenshotter::capture()
{
    m_timeout.stop();
    const QImage image = m_window->grabWindow();
    const bool saved = !image.isNull() && image.save(m_path);
    std::fprintf(saved ? stdout : stderr, saved ? "fleetdeck: wrote %s (%dx%d)\n" : "fleetdeck: cannot write %s\n",
                 qPrintable(m_path), image.width(), image.height());
    QCoreApplication::exit(saved ? 0 : 1);
}

}  // namespace fleetdeck
