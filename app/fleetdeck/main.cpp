// fleetdeck: the QML operator console. Connects to a backend (--backend ws://host:port), or with none
// starts the demo backend (embedded Kafka + simulator) next to itself.

#include "charttypes.h"
#include "consolesession.h"
#include "consoletypes.h"
#include "demobackend.h"
#include "framestats.h"
#include "infratypes.h"
#include "screenshotter.h"
#include "websockettransport.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QQmlApplicationEngine>
#include <QQuickWindow>

#include <cmath>
#include <cstdio>
#include <memory>

using namespace fleetdeck;

namespace {

int fail(const QString &message)
{
    std::fprintf(stderr, "fleetdeck: %s\n", qPrintable(message));
    return 2;
}

}  // namespace

int main(int argc, char *argv[])
{
    // Not QGuiApplication: the detail panel's charts (Qt Charts) draw with Graphics View.
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("fleetdeck"));
    QApplication::setApplicationVersion(QStringLiteral(FLEETDECK_VERSION));
    QApplication::setOrganizationName(QStringLiteral("fleetdeck"));

    const QCommandLineOption backendOption(QStringLiteral("backend"),
                                           QStringLiteral("Backend WebSocket URL, e.g. ws://fleet.example:8765. Without it: the demo."),
                                           QStringLiteral("url"));
    const QCommandLineOption robotsOption(QStringLiteral("robots"), QStringLiteral("Demo fleet size (default 200)."),
                                          QStringLiteral("n"), QStringLiteral("200"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Demo simulator seed (default 1)."),
                                        QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption selectOption(QStringLiteral("select"), QStringLiteral("Open with this robot selected."),
                                          QStringLiteral("robot-id"));
    const QCommandLineOption followOption(QStringLiteral("follow"), QStringLiteral("Keep the selected robot centred."));
    const QCommandLineOption centerOption(QStringLiteral("center"), QStringLiteral("Open centred on lat,lon."),
                                          QStringLiteral("lat,lon"));
    const QCommandLineOption zoomOption(QStringLiteral("zoom"), QStringLiteral("Open at this zoom level (13–20)."),
                                        QStringLiteral("level"));
    const QCommandLineOption themeOption(QStringLiteral("theme"), QStringLiteral("dark (default) or light."),
                                         QStringLiteral("theme"), QStringLiteral("dark"));
    const QCommandLineOption sizeOption(QStringLiteral("size"), QStringLiteral("Window size WxH (default 1600x1000)."),
                                        QStringLiteral("WxH"), QStringLiteral("1600x1000"));
    const QCommandLineOption statsOption(QStringLiteral("stats-interval-s"),
                                         QStringLiteral("Print the console's memory and frame times every N seconds (STATS lines on standard output)."),
                                         QStringLiteral("s"));
    const QCommandLineOption wallOption(QStringLiteral("wall"),
                                        QStringLiteral("The read-only NOC wall: full screen (or --size), large type, the map with counts, "
                                                       "open alerts and database/proxy/Kafka health; cannot drive or acknowledge."));
    const QCommandLineOption driveOption(QStringLiteral("drive"),
                                         QStringLiteral("With --take-control: once in control, hold this input (forward and turn, each -1..1) "
                                                        "as if a key were held, e.g. 0.5,0.2 (for demonstrations and screenshots; the deadman "
                                                        "rules still apply: the robot stops when the console goes)."),
                                         QStringLiteral("forward,turn"));
    const QCommandLineOption takeControlOption(QStringLiteral("take-control"),
                                               QStringLiteral("Take control of the --select robot as soon as the console is live (it is stopped first)."));
    const QCommandLineOption tilesOption(QStringLiteral("tiles"),
                                         QStringLiteral("XYZ raster tiles under the robots, e.g. https://tiles.example/{z}/{x}/{y}.png (default: the offline vector map)."),
                                         QStringLiteral("url-template"));
    const QCommandLineOption tileAttributionOption(QStringLiteral("tile-attribution"),
                                                   QStringLiteral("Attribution the tile provider requires; shown on the map at all times."),
                                                   QStringLiteral("text"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                              QStringLiteral("Write a PNG of the window once robots are drawn, then exit."),
                                              QStringLiteral("file"));
    const QCommandLineOption settleOption(QStringLiteral("screenshot-settle-ms"),
                                          QStringLiteral("Wait this long after robots are drawn before the screenshot (default 3000)."),
                                          QStringLiteral("ms"), QStringLiteral("3000"));
    const QCommandLineOption viewOption(QStringLiteral("view"),
                                        QStringLiteral("Open on this page: fleet (the map, default) or infra (database, proxy and Kafka)."),
                                        QStringLiteral("page"), QStringLiteral("fleet"));
    const QCommandLineOption operatorOption(QStringLiteral("operator"),
                                            QStringLiteral("Who sits at this console, for leases and the audit trail (default: the login name)."),
                                            QStringLiteral("name"), qEnvironmentVariable("USER"));
    const QCommandLineOption tokenOption(QStringLiteral("token"),
                                         QStringLiteral("Access token for a backend that requires one (default: $FLEETDECK_TOKEN, which, "
                                                        "unlike an argument, other users cannot see in the process list)."),
                                         QStringLiteral("token"), qEnvironmentVariable("FLEETDECK_TOKEN"));
    const QCommandLineOption caOption(QStringLiteral("ca-certificate"),
                                      QStringLiteral("For wss://: trust the backend's certificate if this PEM CA (or the certificate itself) "
                                                     "signed it, besides the system's trusted CAs."),
                                      QStringLiteral("file"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("fleetdeck operator console."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({backendOption, robotsOption, seedOption, selectOption, followOption, centerOption, zoomOption,
                       themeOption, sizeOption, takeControlOption, driveOption, wallOption, statsOption, tilesOption, tileAttributionOption, screenshotOption, settleOption,
                       operatorOption, viewOption, tokenOption, caOption});
    parser.process(app);

    const QUrl backendUrl(parser.value(backendOption));
    const QString operatorName = parser.value(operatorOption).trimmed();
    // Not fatal: watching needs no name (containers often have no $USER); the backend refuses control.
    if (operatorName.isEmpty())
        std::fprintf(stderr, "fleetdeck: no --operator and $USER is not set: this console can watch but not drive\n");
    if (parser.isSet(backendOption) && (!backendUrl.isValid() || (backendUrl.scheme() != QLatin1String("ws")
                                                                   && backendUrl.scheme() != QLatin1String("wss"))))
        return fail(QStringLiteral("--backend \"%1\": expected ws://host:port or wss://host:port").arg(parser.value(backendOption)));
    bool ok = true;
    const int robots = parser.value(robotsOption).toInt(&ok);
    if (!ok || robots < 1 || robots > 100'000)
        return fail(QStringLiteral("--robots \"%1\": expected 1 to 100000").arg(parser.value(robotsOption)));
    const int seed = parser.value(seedOption).toInt(&ok);
    if (!ok || seed < 0)
        return fail(QStringLiteral("--seed \"%1\": expected a whole number ≥ 0").arg(parser.value(seedOption)));
    const QString theme = parser.value(themeOption);
    if (theme != QLatin1String("dark") && theme != QLatin1String("light"))
        return fail(QStringLiteral("--theme \"%1\": expected dark or light").arg(theme));
    const QStringList size = parser.value(sizeOption).split(QLatin1Char('x'));
    const int width = size.size() == 2 ? size[0].toInt() : 0;
    const int height = size.size() == 2 ? size[1].toInt() : 0;
    if (width < 320 || height < 240)
        return fail(QStringLiteral("--size \"%1\": expected WxH, at least 320x240").arg(parser.value(sizeOption)));
    const QString view = parser.value(viewOption);
    if (view != QLatin1String("fleet") && view != QLatin1String("infra"))
        return fail(QStringLiteral("--view \"%1\": expected fleet or infra").arg(view));
    const int settleMs = parser.value(settleOption).toInt(&ok);
    if (!ok || settleMs < 0)
        return fail(QStringLiteral("--screenshot-settle-ms \"%1\": expected milliseconds").arg(parser.value(settleOption)));

    QVariantMap startup;
    if (parser.isSet(centerOption) || parser.isSet(zoomOption)) {
        double lat = 53.5575, lon = 13.2625;  // the old town of the shipped city
        if (parser.isSet(centerOption)) {
            const QStringList parts = parser.value(centerOption).split(QLatin1Char(','));
            bool latOk = false, lonOk = false;
            lat = parts.value(0).toDouble(&latOk);
            lon = parts.value(1).toDouble(&lonOk);
            if (parts.size() != 2 || !latOk || !lonOk || std::abs(lat) > 85 || std::abs(lon) > 180)
                return fail(QStringLiteral("--center \"%1\": expected lat,lon in degrees").arg(parser.value(centerOption)));
        }
        const double zoom = parser.isSet(zoomOption) ? parser.value(zoomOption).toDouble(&ok) : 16.0;
        if (!ok || zoom < 10 || zoom > 21)
            return fail(QStringLiteral("--zoom \"%1\": expected 10 to 21").arg(parser.value(zoomOption)));
        startup.insert(QStringLiteral("centerLatitude"), lat);
        startup.insert(QStringLiteral("centerLongitude"), lon);
        startup.insert(QStringLiteral("zoom"), zoom);
    }
    startup.insert(QStringLiteral("followSelected"), parser.isSet(followOption));
    startup.insert(QStringLiteral("view"), view);
    // For bench_wallsoak's comparison: the wall's robots glide (the console's 500 ms) instead of jumping.
    if (qEnvironmentVariableIsSet("FLEETDECK_WALL_ANIMATION_MS"))
        startup.insert(QStringLiteral("wallAnimationMs"), qEnvironmentVariableIntValue("FLEETDECK_WALL_ANIMATION_MS"));
    startup.insert(QStringLiteral("centerOnSelection"), parser.isSet(selectOption) && !parser.isSet(centerOption));
    if (parser.isSet(tilesOption)) {
        const QString tiles = parser.value(tilesOption);
        if (!tiles.contains(QLatin1String("{z}")) || !tiles.contains(QLatin1String("{x}")) || !tiles.contains(QLatin1String("{y}")))
            return fail(QStringLiteral("--tiles \"%1\": expected a URL template with {z}, {x} and {y}").arg(tiles));
        if (!parser.isSet(tileAttributionOption))
            return fail(QStringLiteral("--tiles needs --tile-attribution: tile providers require their credit on the map"));
        startup.insert(QStringLiteral("tileUrlTemplate"), tiles);
        startup.insert(QStringLiteral("tileAttribution"), parser.value(tileAttributionOption));
    }

    SystemClock clock;
    WebSocketTransport transport;
    FleetClient client(&transport, &clock);
    client.setOperatorName(operatorName);
    client.setToken(parser.value(tokenOption).trimmed());
    if (parser.isSet(caOption)) {
        QFile caFile(parser.value(caOption));
        const QList<QSslCertificate> cas = caFile.open(QIODevice::ReadOnly) ? QSslCertificate::fromData(caFile.readAll()) : QList<QSslCertificate>();
        if (cas.isEmpty())
            return fail(QStringLiteral("--ca-certificate \"%1\": no PEM certificate read (%2)").arg(caFile.fileName(), caFile.errorString()));
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(cas);
        transport.setSslConfiguration(ssl);
    }
    const bool wall = parser.isSet(wallOption);
    if (wall && (parser.isSet(takeControlOption) || parser.isSet(driveOption)))
        return fail(QStringLiteral("--wall is read-only: it cannot take control"));
    client.setReadOnly(wall);  // the backend then refuses it anything but watching
    ConsoleSession session(&client, &clock, parser.value(selectOption), theme == QLatin1String("dark"));
    RobotSelection &selection = session.selection;
    TeleopController &teleop = session.teleop;
    if (parser.isSet(takeControlOption)) {
        if (!parser.isSet(selectOption))
            return fail(QStringLiteral("--take-control needs --select ROBOT-ID"));
        // Once the robot is known on a live connection; once only.
        auto *pending = new QObject(&app);
        const auto tryTakeControl = [&client, &selection, &teleop, pending] {
            if (client.state() == FleetClient::ConnectionState::Live && selection.valid()) {
                teleop.takeControl();
                delete pending;
            }
        };
        QObject::connect(&client, &FleetClient::updated, pending, tryTakeControl);
    }
    if (parser.isSet(driveOption)) {
        const QStringList parts = parser.value(driveOption).split(QLatin1Char(','));
        bool forwardOk = false, turnOk = parts.size() < 2;
        const double forward = parts.value(0).toDouble(&forwardOk);
        const double turn = parts.size() >= 2 ? parts[1].toDouble(&turnOk) : 0.0;
        if (!parser.isSet(takeControlOption) || parts.size() > 2 || !forwardOk || !turnOk || std::abs(forward) > 1 || std::abs(turn) > 1)
            return fail(QStringLiteral("--drive \"%1\": expected FORWARD[,TURN] in -1..1, with --take-control").arg(parser.value(driveOption)));
        QObject::connect(&teleop, &TeleopController::stateChanged, &teleop, [&teleop, forward, turn] {
            if (teleop.holding() && !teleop.driving()) {
                teleop.setDriveInput(forward, turn);
                teleop.engage(true);
            }
        });
    }

    registerConsoleTypes();
    registerChartTypes();
    registerInfraTypes();
    QQmlApplicationEngine engine;
    addConsoleImportPath(&engine);
    if (wall) {
        engine.setInitialProperties({
            {QStringLiteral("client"), QVariant::fromValue(&client)},
            {QStringLiteral("robots"), QVariant::fromValue(client.robots())},
            {QStringLiteral("summary"), QVariant::fromValue(&session.summary)},
            {QStringLiteral("style"), QVariant::fromValue(&session.style)},
            {QStringLiteral("alerts"), QVariant::fromValue(&session.alerts)},
            {QStringLiteral("infra"), QVariant::fromValue(&session.infra)},
            {QStringLiteral("startup"), startup},
            {QStringLiteral("width"), width},
            {QStringLiteral("height"), height},
        });
        engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Fleetdeck/Console/Wall.qml")));
    } else {
    QVariantMap properties = session.mainProperties(startup);
    properties.insert(QStringLiteral("width"), width);
    properties.insert(QStringLiteral("height"), height);
    engine.setInitialProperties(properties);
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Fleetdeck/Console/Main.qml")));
    }
    if (engine.rootObjects().isEmpty())
        return fail(QStringLiteral("the console's QML failed to load (see the messages above)"));
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (wall && !parser.isSet(sizeOption) && !parser.isSet(screenshotOption))
        window->showFullScreen();
    std::unique_ptr<FrameStats> frameStats;
    if (parser.isSet(statsOption)) {
        const int intervalS = parser.value(statsOption).toInt(&ok);
        if (!ok || intervalS < 1)
            return fail(QStringLiteral("--stats-interval-s \"%1\": expected whole seconds, at least 1").arg(parser.value(statsOption)));
        frameStats = std::make_unique<FrameStats>(window, intervalS);
    }

    std::unique_ptr<Screenshotter> screenshotter;
    if (parser.isSet(screenshotOption))
        screenshotter = std::make_unique<Screenshotter>(window, parser.value(screenshotOption), settleMs, 60'000);

    DemoBackend demo;
    if (backendUrl.isEmpty()) {
        QObject::connect(&demo, &DemoBackend::ready, &client, &FleetClient::setUrl);
        QObject::connect(&demo, &DemoBackend::failed, &app, [](const QString &reason) {
            std::fprintf(stderr, "fleetdeck: %s\n", qPrintable(reason));
        });
        demo.start(robots, seed);
    } else {
        client.setUrl(backendUrl);
    }
    return QApplication::exec();
}
