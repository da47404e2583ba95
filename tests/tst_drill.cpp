// Drills: the scenario format (errors name file:line) and a whole drill against the real fleet
// simulator, server and alert service on a manual clock, with one acknowledgement from a real console,
// ending in the report an SRE team would read.

#include "alertmodel.h"
#include "alertservice.h"
#include "clock.h"
#include "dbsimulator.h"
#include "drill.h"
#include "drillrunner.h"
#include "fleetclient.h"
#include "fleetserver.h"
#include "fleetsimulator.h"
#include "streetgraph.h"
#include "telemetrymailbox.h"
#include "websockettransport.h"

#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <optional>
#include <vector>

using namespace fleetdeck;
using sim::Drill;
using sim::DrillIncident;

namespace {

QString reportLine(const QString &report, const QString &startsWith, int after = 0)
{
    const QStringList lines = report.split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (lines[i].startsWith(startsWith))
            return lines.value(i + after);
    }
    return {};
}

}  // namespace

class TestDrill : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void parsesScenario();
    void parseErrorsNameFileAndLine_data();
    void parseErrorsNameFileAndLine();
    void unknownRobotsAreReportedWithTheirLines();
    void drillProducesTheExpectedReport();

private:
    std::optional<sim::StreetGraph> m_graph;
};

void TestDrill::initTestCase()
{
    QString error;
    m_graph = sim::StreetGraph::loadShipped(&error);
    QVERIFY2(m_graph, qPrintable(error));
}

void TestDrill::parsesScenario()
{
    QStringList errors;
    const std::optional<Drill> drill = sim::parseDrill(QStringLiteral("# at_s kind target duration_s\n"
                                                                      "\n"
                                                                      "20   robot-fault  nb-0012  90\n"
                                                                      "  60 area-offline 53.5610,13.2590 60   # a dead cell\n"
                                                                      "61.5\tarea-offline 53.5610,13.2590,150\t60\n"
                                                                      "90 db-standby-backup - 240\n"
                                                                      "150 proxy-error-burst dispatcher/tasks 60\n"
                                                                      "200 broker-outage - 30\n"
                                                                      "210 db-connections-saturated - 30\n"),
                                                       QStringLiteral("x.drill"), &errors);
    QVERIFY2(drill, qPrintable(errors.join(u'\n')));
    QCOMPARE(drill->incidents.size(), std::size_t(7));
    const DrillIncident &fault = drill->incidents[0];
    QCOMPARE(fault.kind, DrillIncident::Kind::RobotFault);
    QCOMPARE(fault.line, 3);
    QCOMPARE(fault.atMs, 20'000);
    QCOMPARE(fault.durationMs, 90'000);
    QCOMPARE(fault.target, QStringLiteral("nb-0012"));
    QCOMPARE(fault.expectedAlerts().size(), std::size_t(1));
    QVERIFY(fault.expectedAlerts()[0].matches(QStringLiteral("robot_faulted"), QStringLiteral("nb-0012")));
    QVERIFY(!fault.expectedAlerts()[0].matches(QStringLiteral("robot_faulted"), QStringLiteral("nb-0013")));

    const DrillIncident &area = drill->incidents[1];
    QCOMPARE(area.line, 4);
    QCOMPARE(area.latDeg, 53.5610);
    QCOMPARE(area.lonDeg, 13.2590);
    QCOMPARE(area.radiusM, DrillIncident::kDefaultAreaRadiusM);
    QVERIFY(area.expectedAlerts()[0].matches(QStringLiteral("area_stale"), QStringLiteral("area 1/2")));
    QCOMPARE(drill->incidents[2].atMs, 61'500);
    QCOMPARE(drill->incidents[2].radiusM, 150.0);

    // "-" is the standby, and a backup there shows as lag or latency, whichever fires first.
    const DrillIncident &backup = drill->incidents[3];
    QCOMPARE(backup.target, sim::DbSimulator::standbyMember());
    QCOMPARE(backup.expectedAlerts().size(), std::size_t(2));
    QCOMPARE(backup.expectedAlerts()[1].rule, QStringLiteral("db_latency"));
    QVERIFY(drill->incidents[4].expectedAlerts()[0].matches(QStringLiteral("proxy_errors"), QStringLiteral("dispatcher/tasks")));
    QVERIFY(drill->incidents[5].expectedAlerts()[0].matches(QStringLiteral("telemetry_outage"), QStringLiteral("kafka")));
    QCOMPARE(drill->lastEndMs(), 240'000 + 90'000);
}

void TestDrill::parseErrorsNameFileAndLine_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");
    const QString head = QStringLiteral("# header\n10 robot-fault nb-0001 30\n");
    QTest::newRow("unknown kind") << head + QStringLiteral("20 meteor-strike nb-0001 30\n")
                                  << QStringLiteral("s.drill:3: unknown kind 'meteor-strike'");
    QTest::newRow("too few fields") << head + QStringLiteral("\n20 robot-fault nb-0001\n")
                                    << QStringLiteral("s.drill:4: expected AT_S KIND TARGET DURATION_S, found 3 fields");
    QTest::newRow("comment leaves too few") << head + QStringLiteral("20 robot-fault nb-0001 # 30\n")
                                            << QStringLiteral("s.drill:3: expected AT_S KIND TARGET DURATION_S");
    QTest::newRow("bad time") << head + QStringLiteral("soon robot-fault nb-0001 30\n")
                              << QStringLiteral("s.drill:3: AT_S 'soon' is not a number of seconds >= 0");
    QTest::newRow("negative time") << head + QStringLiteral("-5 robot-fault nb-0001 30\n") << QStringLiteral("s.drill:3: AT_S '-5'");
    QTest::newRow("zero duration") << head + QStringLiteral("20 robot-fault nb-0001 0\n")
                                   << QStringLiteral("s.drill:3: DURATION_S '0' is not a number of seconds > 0");
    QTest::newRow("robot without id") << head + QStringLiteral("20 robot-stuck - 30\n")
                                      << QStringLiteral("s.drill:3: robot-stuck needs a robot id");
    QTest::newRow("area not a place") << head + QStringLiteral("20 area-offline downtown 30\n")
                                      << QStringLiteral("s.drill:3: area-offline needs LAT,LON");
    QTest::newRow("area latitude") << head + QStringLiteral("20 area-offline 95,13.2 30\n")
                                   << QStringLiteral("s.drill:3: area-offline needs LAT,LON");
    QTest::newRow("unknown member") << head + QStringLiteral("20 db-standby-backup mongo-9 30\n")
                                    << QStringLiteral("s.drill:3: unknown database member 'mongo-9'");
    QTest::newRow("primary") << head + QStringLiteral("20 db-replication-lag mongo-0 30\n")
                             << QStringLiteral("s.drill:3: mongo-0 is the primary");
    QTest::newRow("proxy without collection") << head + QStringLiteral("20 proxy-error-burst dispatcher 30\n")
                                              << QStringLiteral("s.drill:3: proxy-error-burst needs app/collection");
    QTest::newRow("proxy unknown app") << head + QStringLiteral("20 proxy-error-burst billing/tasks 30\n")
                                       << QStringLiteral("s.drill:3: unknown app 'billing'");
    QTest::newRow("broker with target") << head + QStringLiteral("20 broker-outage kafka-1 30\n")
                                        << QStringLiteral("s.drill:3: broker-outage takes no target: write '-'");
    QTest::newRow("empty") << QStringLiteral("# nothing\n\n") << QStringLiteral("s.drill: no incidents");
}

void TestDrill::parseErrorsNameFileAndLine()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    QStringList errors;
    QVERIFY(!sim::parseDrill(text, QStringLiteral("s.drill"), &errors));
    QCOMPARE(errors.size(), 1);
    QVERIFY2(errors.first().startsWith(error), qPrintable(errors.first()));
}

void TestDrill::unknownRobotsAreReportedWithTheirLines()
{
    QStringList errors;
    std::optional<Drill> drill = sim::parseDrill(QStringLiteral("10 robot-fault nb-0001 30\n"
                                                                "# nb-0999 is not in a fleet of 12\n"
                                                                "20 robot-offline nb-0999 30\n"
                                                                "30 robot-stuck NB-0002 30\n"),
                                                 QStringLiteral("t.drill"), &errors);
    QVERIFY(drill);
    sim::FleetSimulator::Config config;
    config.robotCount = 12;
    sim::FleetSimulator fleet(*m_graph, config);
    ManualClock clock;
    TelemetryMailbox mailbox;
    FleetServer server({}, &mailbox, &clock);
    AlertService alerts({}, &server, &clock);
    DrillRunner::Targets targets;
    targets.fleet = &fleet;
    DrillRunner runner(std::move(*drill), targets, &alerts, &clock, {});
    QVERIFY(!runner.start(&errors));
    QCOMPARE(errors, QStringList({QStringLiteral("t.drill:3: no robot nb-0999 in the fleet (nb-0001 … nb-0012)"),
                                  QStringLiteral("t.drill:4: no robot NB-0002 in the fleet (nb-0001 … nb-0012)")}));
    QCOMPARE(runner.startedMs(), std::int64_t(-1));
}

void TestDrill::drillProducesTheExpectedReport()
{
    // A quiet fleet: every alert comes from the drill, except one fault injected behind its back.
    sim::FleetSimulator::Config fleetConfig;
    fleetConfig.robotCount = 12;
    fleetConfig.seed = 3;
    fleetConfig.stuckPerHour = 0;
    fleetConfig.sensorFaultPerHour = 0;
    fleetConfig.overtempPerHour = 0;
    fleetConfig.offlinePerHour = 0;
    sim::FleetSimulator fleet(*m_graph, fleetConfig);

    ManualClock clock;
    TelemetryMailbox mailbox;
    FleetServer::Settings serverSettings;
    serverSettings.peerTimeoutMs = 24 * 3600 * 1000;  // simulated minutes pass in real milliseconds
    FleetServer server(serverSettings, &mailbox, &clock);
    QString error;
    QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    alerts::Rules rules;
    rules.robotForMs = 2000;
    rules.infraForMs = 3000;
    rules.clearForMs = 5000;
    rules.stuckAfterMs = 600'000;  // a long delivery is not what this test is about
    AlertService alertService(rules, &server, &clock);

    QStringList errors;
    std::optional<Drill> drill = sim::parseDrill(QStringLiteral("# at_s kind target duration_s\n"
                                                                "5  robot-fault       nb-0003           30\n"
                                                                "10 robot-stuck       nb-0005           40\n"
                                                                "60 broker-outage     -                 20\n"
                                                                "20 proxy-error-burst dispatcher/tasks  20  # no infra here\n"),
                                                 QStringLiteral("test.drill"), &errors);
    QVERIFY2(drill, qPrintable(errors.join(u'\n')));

    bool brokersUp = true;
    std::vector<bool> brokerCalls;
    std::vector<sim::DbIncident> dbIncidents;
    DrillRunner::Targets targets;
    targets.fleet = &fleet;
    targets.setBrokersUp = [&](bool up) {
        brokerCalls.push_back(up);
        brokersUp = up;
        alertService.setKafkaReachable(up);
    };
    targets.addDbIncident = [&](const sim::DbIncident &incident, QString *) {
        dbIncidents.push_back(incident);
        return true;
    };
    DrillRunner::Settings settings;
    settings.graceMs = 20'000;
    DrillRunner runner(std::move(*drill), targets, &alertService, &clock, settings);
    QSignalSpy finished(&runner, &DrillRunner::finished);

    // One second of the world: the fleet moves, its telemetry reaches the server while the brokers
    // are up, the rules are evaluated, the drill injects what is due.
    const auto second = [&] {
        for (int half = 0; half < 2; ++half) {
            clock.advance(500);
            fleet.step(clock.nowUnixMs());
            std::vector<RobotState> batch;
            for (const RobotState *s : fleet.takeDue(clock.nowUnixMs()))
                batch.push_back(*s);
            if (brokersUp)
                mailbox.put(std::move(batch));
            server.tick();
        }
        alertService.evaluate();
        runner.poll();
    };
    fleet.step(clock.nowUnixMs());
    second();
    QVERIFY(runner.start(&errors));
    const std::int64_t start = clock.nowUnixMs();

    SystemClock consoleClock;
    WebSocketTransport transport;
    FleetClient client(&transport, &consoleClock);
    AlertModel aliceAlerts(&client);
    client.setOperatorName(QStringLiteral("alice"));
    client.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(server.port())));
    QTRY_COMPARE(client.state(), FleetClient::ConnectionState::Live);

    // An unplanned fault, as real drills have: not the drill's doing.
    fleet.step(clock.nowUnixMs());
    fleet.injectFault(*fleet.indexOf(QStringLiteral("nb-0009")), clock.nowUnixMs(), 10'000);

    // The robot fault is detected; alice acknowledges it from her console 4 s later.
    while (!runner.outcomes()[0].detectedBy && clock.nowUnixMs() - start < 30'000)
        second();
    QVERIFY(runner.outcomes()[0].detectedBy);
    const std::uint64_t faultAlert = *runner.outcomes()[0].detectedBy;
    for (int i = 0; i < 4; ++i)
        second();
    QTRY_VERIFY(aliceAlerts.rowCount() > 0);
    QTRY_VERIFY([&] {
        for (int row = 0; row < aliceAlerts.rowCount(); ++row) {
            if (aliceAlerts.data(aliceAlerts.index(row), AlertModel::IdRole).toULongLong() == faultAlert)
                return true;
        }
        return false;
    }());
    QVERIFY(aliceAlerts.acknowledge(faultAlert));
    QTRY_COMPARE(alertService.engine().find(faultAlert)->state(), fleet::v1::ALERT_STATE_ACKNOWLEDGED);

    // Telemetry stops in the broker outage (robots go stale), after the robots' incidents are over.
    while (finished.isEmpty() && clock.nowUnixMs() - start < 300'000)
        second();
    QCOMPARE(finished.size(), 1);
    QVERIFY(runner.isFinished());
    // Over at the last incident's end (broker-outage: 60 + 20 s) plus the grace period.
    QVERIFY(clock.nowUnixMs() - start >= 100'000);
    QVERIFY(clock.nowUnixMs() - start < 102'000);

    // What the drill did to the world.
    QCOMPARE(brokerCalls, std::vector<bool>({false, true}));
    QCOMPARE(dbIncidents.size(), std::size_t(1));
    QCOMPARE(dbIncidents[0].app, QStringLiteral("dispatcher"));
    QCOMPARE(dbIncidents[0].collection, QStringLiteral("tasks"));
    QCOMPARE(dbIncidents[0].durationMs, 20'000);
    QCOMPARE(dbIncidents[0].startMs, start + 20'000);

    const QString report = runner.reportText();
    QVERIFY(report.startsWith(QStringLiteral("Drill test.drill, started ")));
    QVERIFY2(report.contains(QStringLiteral("3 of 4 incidents detected, 1 acknowledged, 0 not injected; 1 unplanned alerts")),
             qPrintable(report));

    QCOMPARE(reportLine(report, QStringLiteral("#1 ")), QStringLiteral("#1 +00:05 robot-fault nb-0003 for 30 s (line 2)"));
    QCOMPARE(reportLine(report, QStringLiteral("#1 "), 1), QStringLiteral("    injected +00:05: lidar degraded: mode fault"));
    const QString fault = reportLine(report, QStringLiteral("#1 "), 2);
    QVERIFY2(QRegularExpression(QStringLiteral("^    detected: alert #%1 robot_faulted nb-0003 fired \\+00:06 \\(1 s after injection\\), "
                                               "acknowledged \\+00:10 by alice \\(4 s after firing\\), resolved \\+00:4\\d$")
                                    .arg(faultAlert))
                 .match(fault)
                 .hasMatch(),
             qPrintable(fault));

    // Stuck: the rule holds robot conditions for 2 s; nobody acknowledged it.
    const QString stuck = reportLine(report, QStringLiteral("#2 "), 2);
    QVERIFY2(QRegularExpression(QStringLiteral("^    detected: alert #\\d+ robot_stuck nb-0005 fired \\+00:13 \\(3 s after injection\\), "
                                               "not acknowledged, resolved \\+00:5\\d$"))
                 .match(stuck)
                 .hasMatch(),
             qPrintable(stuck));

    const QString outage = reportLine(report, QStringLiteral("#3 "), 2);
    QVERIFY2(QRegularExpression(QStringLiteral("^    detected: alert #\\d+ telemetry_outage kafka fired \\+01:04 \\(4 s after injection\\), "
                                               "not acknowledged, resolved \\+01:2\\d$"))
                 .match(outage)
                 .hasMatch(),
             qPrintable(outage));

    // No database metrics reach this alert service: the burst happened but nothing could notice.
    QCOMPARE(reportLine(report, QStringLiteral("#4 "), 1), QStringLiteral("    injected +00:20: dispatcher's requests on tasks fail"));
    QCOMPARE(reportLine(report, QStringLiteral("#4 "), 2),
             QStringLiteral("    NOT DETECTED: no proxy_errors dispatcher/tasks alert fired by +01:40"));

    QCOMPARE(runner.unplanned().size(), std::size_t(1));
    QCOMPARE(runner.unplanned()[0]->subject, QStringLiteral("nb-0009"));
    const QString extra = reportLine(report, QStringLiteral("Unplanned alerts"), 1);
    QVERIFY2(extra.startsWith(QStringLiteral("    alert #")) && extra.contains(QStringLiteral("robot_faulted nb-0009 fired +00:0")),
             qPrintable(extra));

    // The report is fixed once written: later alert changes do not move it.
    second();
    QCOMPARE(runner.reportText(), report);

    // The HTML report: one row per incident, everything escaped.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString htmlPath = dir.filePath(QStringLiteral("drill.html"));
    QVERIFY2(runner.writeReport(htmlPath, &error), qPrintable(error));
    QFile html(htmlPath);
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString page = QString::fromUtf8(html.readAll());
    QVERIFY(page.startsWith(QStringLiteral("<!DOCTYPE html>")));
    QCOMPARE(page.count(QStringLiteral("<tr class=")), 4);
    QCOMPARE(page.count(QStringLiteral("<tr class=\"missed\">")), 1);
    QVERIFY(page.contains(QStringLiteral("<td>alice</td>")));
    const QString textPath = dir.filePath(QStringLiteral("drill.txt"));
    QVERIFY2(runner.writeReport(textPath, &error), qPrintable(error));
    QFile text(textPath);
    QVERIFY(text.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(text.readAll()), report);

    std::optional<Drill> hostile = sim::parseDrill(QStringLiteral("1 broker-outage - 1\n"), QStringLiteral("<b>&amp;.drill"), &errors);
    QVERIFY(hostile);
    DrillRunner other(std::move(*hostile), {}, &alertService, &clock, settings);
    const QString hostilePage = other.reportHtml();
    QVERIFY(hostilePage.contains(QStringLiteral("&lt;b&gt;&amp;amp;.drill")));
    QVERIFY(!hostilePage.contains(QStringLiteral("<b>")));
}

QTEST_GUILESS_MAIN(TestDrill)
#include "tst_drill.moc"
