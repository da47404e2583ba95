#pragma once

#include "transport.h"

#include <QList>

namespace fleetdeck::testing {

// A Transport the test drives by hand: it records what the client sends and delivers what the test
// pushes, with no sockets.
class FakeTransport final : public Transport
{
    Q_OBJECT

public:
    using Transport::Transport;

    void open(const QUrl &url) override
    {
        openedUrls.append(url);
        isOpen = true;
        Q_EMIT opened();
    }
    void close() override
    {
        if (!isOpen)
            return;
        isOpen = false;
        Q_EMIT closed(QStringLiteral("closed by client"));
    }
    bool sendBinary(const QByteArray &message) override
    {
        if (!isOpen)
            return false;
        sent.append(message);
        return true;
    }

    void deliver(const QByteArray &message) { Q_EMIT binaryReceived(message); }
    void drop(const QString &reason)
    {
        isOpen = false;
        Q_EMIT closed(reason);
    }

    QList<QUrl> openedUrls;
    QList<QByteArray> sent;
    bool isOpen = false;
};

}  // namespace fleetdeck::testing
