// fleetdeck in a browser (DESIGN.md §10, packaging/wasm/README.md): the console's objects wired as in
// main.cpp, for Qt 5.15 for WebAssembly. No command line: the page's address says what the options
// would. By default the console connects to the backend that served the page (same origin), e.g.
//   http://fleet.example:8765/                      -> ws://fleet.example:8765/
//   …/fleetdeck.html?backend=ws://other:8765&operator=ana&theme=light&select=nb-0042&view=infra
//   …/?operator=ana&select=nb-0042&take-control    (then W/A/S/D or the arrows drive it)
// No demo backend (no processes in a browser), no screenshots; the charts drawn by the scene graph.

#include "browsergamepad.h"
#include "charttypes.h"
#include "consolesession.h"
#include "consoletypes.h"
#include "emscriptenwebsockettransport.h"
#include "gamepadinput.h"
#include "infratypes.h"

#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QUrlQuery>

#include <emscripten/emscripten.h>
#include <emscripten/html5.h>

#include <cstdio>
#include <memory>

using namespace fleetdeck;

namespace {

// The page's own address, as the browser has it.
QUrl pageUrl()
{
    return QUrl(QString::fromUtf8(emscripten_run_script_string("window.location.href")));
}

// The WebSocket of the origin that served the page: the backend serves both (DESIGN.md §10).
QUrl sameOriginBackend(const QUrl &page)
{
    QUrl url;
    url.setScheme(page.scheme() == QLatin1String("https") ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setHost(page.host());
    url.setPort(page.port());
    url.setPath(QStringLiteral("/"));
    return url;
}

// Letting go of the controls when the operator's attention leaves the page. The browser tells the page,
// not Qt 5.15's wasm plugin, when the window loses focus or the tab is hidden: Qt's window stays
// active, and the release of a key held then goes elsewhere. Stopping here makes the console forget
// its held keys too (Main.qml: driving stopped = keys let go).
void stopDrivingWhenThePageIsLeft(TeleopController *teleop)
{
    emscripten_set_blur_callback(EMSCRIPTEN_EVENT_TARGET_WINDOW, teleop, false,
                                 [](int, const EmscriptenFocusEvent *, void *data) -> EM_BOOL {
                                     static_cast<TeleopController *>(data)->engage(false);
                                     return false;
                                 });
    emscripten_set_visibilitychange_callback(teleop, false,
                                             [](int, const EmscriptenVisibilityChangeEvent *event, void *data) -> EM_BOOL {
                                                 if (event->hidden)
                                                     static_cast<TeleopController *>(data)->engage(false);
                                                 return false;
                                             });
}

// Qt 5.15's wasm plugin passes the browser's key repeats on as fresh presses (it ignores
// KeyboardEvent.repeat), and a fresh press engages the deadman: after an e-stop or a lost focus, a
// drive key still held would start driving again by itself. While this console holds a lease (when
// those keys drive rather than pan the map) their repeats do not reach Qt.
void dropDriveKeyRepeatsWhileHolding(TeleopController *teleop)
{
    EM_ASM({
        window.addEventListener("keydown", function(e) {
            if (e.repeat && Module.fleetdeckHoldingLease && /^(Key[WASD]|Arrow(Up|Down|Left|Right))$/.test(e.code)) {
                e.stopImmediatePropagation();
                e.preventDefault();
            }
        }, true);
    });
    QObject::connect(teleop, &TeleopController::stateChanged, teleop, [teleop] {
        EM_ASM({ Module.fleetdeckHoldingLease = $0 !== 0; }, teleop->holding() ? 1 : 0);
    });
}

}  // namespace

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("fleetdeck"));
    QGuiApplication::setApplicationVersion(QStringLiteral(FLEETDECK_VERSION));

    const QUrl page = pageUrl();
    const QUrlQuery query(page);
    const QUrl backendUrl = query.hasQueryItem(QStringLiteral("backend"))
        ? QUrl(query.queryItemValue(QStringLiteral("backend"), QUrl::FullyDecoded))
        : sameOriginBackend(page);
    const QString operatorName = query.queryItemValue(QStringLiteral("operator"), QUrl::FullyDecoded).trimmed();
    const QString selected = query.queryItemValue(QStringLiteral("select"), QUrl::FullyDecoded);
    const QString view = query.queryItemValue(QStringLiteral("view")) == QLatin1String("infra") ? QStringLiteral("infra")
                                                                                                : QStringLiteral("fleet");
    if (operatorName.isEmpty())
        std::fprintf(stderr, "fleetdeck: no ?operator= in the address: this console can watch but not drive\n");

    // Objects on main's stack live on: under emscripten, exec() hands control to the browser's loop
    // without unwinding main's frame.
    SystemClock clock;
    EmscriptenWebSocketTransport transport;
    FleetClient client(&transport, &clock);
    client.setOperatorName(operatorName);
    ConsoleSession session(&client, &clock, selected, query.queryItemValue(QStringLiteral("theme")) != QLatin1String("light"));
    RobotSelection &selection = session.selection;
    TeleopController &teleop = session.teleop;

    // &take-control (with select and operator), as the desktop's --take-control: the lease once the robot
    // is known on a live connection; the keys drive. For demonstrations and the browser test.
    if (!selected.isEmpty() && !operatorName.isEmpty() && query.hasQueryItem(QStringLiteral("take-control"))) {
        auto *pending = new QObject(&app);
        QObject::connect(&client, &FleetClient::updated, pending, [&client, &selection, &teleop, pending] {
            if (client.state() == FleetClient::ConnectionState::Live && selection.valid()) {
                teleop.takeControl();
                delete pending;
            }
        });
    }

    // The Gamepad API, polled at the send rate while this console holds a lease.
    GamepadInput gamepad(&teleop, readBrowserGamepad);
    stopDrivingWhenThePageIsLeft(&teleop);
    dropDriveKeyRepeatsWhileHolding(&teleop);

    QVariantMap startup;
    startup.insert(QStringLiteral("followSelected"), query.hasQueryItem(QStringLiteral("follow")));
    startup.insert(QStringLiteral("view"), view);
    startup.insert(QStringLiteral("centerOnSelection"), !selected.isEmpty());

    registerConsoleTypes();
    registerChartTypes();
    registerInfraTypes();
    QQmlApplicationEngine engine;
    addConsoleImportPath(&engine);
    QVariantMap properties = session.mainProperties(startup);
    properties.insert(QStringLiteral("gamepad"), QVariant::fromValue(&gamepad));
    engine.setInitialProperties(properties);
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Fleetdeck/Console/Main.qml")));
    if (engine.rootObjects().isEmpty()) {
        std::fprintf(stderr, "fleetdeck: the console's QML failed to load (see the messages above)\n");
        return 2;
    }
    // The page's canvas is the screen; the console fills it and follows its size.
    if (auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst())) {
        window->showFullScreen();
        // One line when a frame with robots on the map has reached the screen: what the browser test
        // (tests/browser) waits for, and the time a user waited, from navigation (performance.now()).
        auto firstRobots = std::make_shared<QMetaObject::Connection>();
        *firstRobots = QObject::connect(window, &QQuickWindow::frameSwapped, window, [window, firstRobots] {
            const int drawn = window->property("robotsDrawn").toInt();
            if (drawn <= 0)
                return;
            QObject::disconnect(*firstRobots);
            std::fprintf(stderr, "fleetdeck: first robots drawn: %d robots, %.0f ms after navigation\n", drawn,
                         emscripten_get_now());
        });
    }

    std::fprintf(stderr, "fleetdeck: connecting to %s\n", qPrintable(backendUrl.toString()));
    client.setUrl(backendUrl);
    return QGuiApplication::exec();
}
