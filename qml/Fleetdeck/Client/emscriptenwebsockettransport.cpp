#include "emscriptenwebsockettransport.h"

#include <QTimer>

#include <emscripten/websocket.h>

namespace fleetdeck {

namespace {

// WebSocket close codes (RFC 6455 §7.4.1) with which a close is nothing to report.
constexpr unsigned short kNormalClosure = 1000;
constexpr unsigned short kNoStatusReceived = 1005;

}  // namespace

EmscriptenWebSocketTransport::EmscriptenWebSocketTransport(QObject *parent) : Transport(parent) {}

EmscriptenWebSocketTransport::~EmscriptenWebSocketTransport()
{
    release(true);
}

void EmscriptenWebSocketTransport::release(bool closeFirst)
{
    if (m_socket <= 0)
        return;
    if (closeFirst)
        emscripten_websocket_close(m_socket, kNormalClosure, "");
    // Detaches the handlers: nothing of this socket reaches us after this, not even its close event.
    emscripten_websocket_delete(m_socket);
    m_socket = 0;
    m_open = false;
    m_error.clear();
}

void EmscriptenWebSocketTransport::failLater(const QString &reason)
{
    QTimer::singleShot(0, this, [this, reason] { Q_EMIT closed(reason); });
}

void EmscriptenWebSocketTransport::open(const QUrl &url)
{
    release(true);  // like QWebSocket::abort() on the desktop: the old attempt ends silently
    // The browser throws on a malformed URL, which would abort the whole module: check first.
    if (!url.isValid() || url.host().isEmpty()
        || (url.scheme() != QLatin1String("ws") && url.scheme() != QLatin1String("wss"))) {
        failLater(QStringLiteral("not a WebSocket URL: %1").arg(url.toString()));
        return;
    }
    if (emscripten_websocket_is_supported() == 0) {
        failLater(QStringLiteral("this browser has no WebSocket"));
        return;
    }
    const QByteArray address = url.toEncoded();
    EmscriptenWebSocketCreateAttributes attributes;
    emscripten_websocket_init_create_attributes(&attributes);
    attributes.url = address.constData();
    attributes.createOnMainThread = EM_TRUE;
    const EMSCRIPTEN_WEBSOCKET_T socket = emscripten_websocket_new(&attributes);
    if (socket <= 0) {
        failLater(QStringLiteral("cannot create a WebSocket (error %1)").arg(socket));
        return;
    }
    m_socket = socket;

    // Captureless lambdas: emscripten takes plain function pointers and hands `this` back as userData.
    // Events of a socket already released cannot arrive (release() detaches them); the check on the
    // socket id is for safety only.
    emscripten_websocket_set_onopen_callback(
        socket, this, [](int, const EmscriptenWebSocketOpenEvent *event, void *self) -> EM_BOOL {
            auto *transport = static_cast<EmscriptenWebSocketTransport *>(self);
            if (event->socket == transport->m_socket)
                transport->handleOpen();
            return EM_TRUE;
        });
    emscripten_websocket_set_onerror_callback(
        socket, this, [](int, const EmscriptenWebSocketErrorEvent *event, void *self) -> EM_BOOL {
            auto *transport = static_cast<EmscriptenWebSocketTransport *>(self);
            // Browsers say nothing more, on purpose; the close event follows and ends the attempt.
            if (event->socket == transport->m_socket)
                transport->m_error = transport->m_open ? QStringLiteral("connection lost")
                                                       : QStringLiteral("cannot connect");
            return EM_TRUE;
        });
    emscripten_websocket_set_onclose_callback(
        socket, this, [](int, const EmscriptenWebSocketCloseEvent *event, void *self) -> EM_BOOL {
            auto *transport = static_cast<EmscriptenWebSocketTransport *>(self);
            if (event->socket == transport->m_socket)
                transport->handleClose(event->code, event->reason);
            return EM_TRUE;
        });
    emscripten_websocket_set_onmessage_callback(
        socket, this, [](int, const EmscriptenWebSocketMessageEvent *event, void *self) -> EM_BOOL {
            auto *transport = static_cast<EmscriptenWebSocketTransport *>(self);
            if (event->socket == transport->m_socket)
                transport->handleMessage(reinterpret_cast<const char *>(event->data),
                                         static_cast<int>(event->numBytes), event->isText != 0);
            return EM_TRUE;
        });
}

void EmscriptenWebSocketTransport::handleOpen()
{
    m_open = true;
    Q_EMIT opened();
}

void EmscriptenWebSocketTransport::handleClose(int code, const char *reason)
{
    QString text = QString::fromUtf8(reason);
    if (text.isEmpty()) {
        if (!m_error.isEmpty())
            text = QStringLiteral("%1 (code %2)").arg(m_error).arg(code);
        else if (code == kNormalClosure || code == kNoStatusReceived)
            text = QStringLiteral("connection closed");  // the neutral reason FleetClient expects
        else
            text = QStringLiteral("connection closed (code %1)").arg(code);
    }
    // The close event is the socket's last; release it before anyone reacts (and maybe reopens).
    release(false);
    Q_EMIT closed(text);
}

void EmscriptenWebSocketTransport::handleMessage(const char *data, int size, bool isText)
{
    // The protocol is binary only; a text frame is not ours. The data is emscripten's buffer, valid
    // during the callback only: copy it.
    if (isText)
        return;
    Q_EMIT binaryReceived(QByteArray(data, size));
}

void EmscriptenWebSocketTransport::close()
{
    // The browser's close event then ends the attempt, as on the desktop.
    if (m_socket > 0)
        emscripten_websocket_close(m_socket, kNormalClosure, "");
}

bool EmscriptenWebSocketTransport::sendBinary(const QByteArray &message)
{
    if (!m_open)
        return false;
    // The browser copies the bytes before this returns.
    return emscripten_websocket_send_binary(m_socket, const_cast<char *>(message.constData()),
                                            static_cast<uint32_t>(message.size()))
        == EMSCRIPTEN_RESULT_SUCCESS;
}

}  // namespace fleetdeck
