#include "dbsimulator.h"
#include "prometheustext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <cmath>

using namespace fleetdeck::sim;

namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr std::int64_t kStepMs = 1000;

struct Sample {
    QByteArray name;
    QMap<QByteArray, QByteArray> labels;
    double value = 0;
};

// One exposition, parsed strictly: every line is a HELP, a TYPE or `name{labels} value`.
struct Exposition {
    QList<Sample> samples;
    QMap<QByteArray, QByteArray> types;  // family -> counter/gauge/histogram/untyped
    QStringList errors;

    [[nodiscard]] QList<Sample> select(const QByteArray &name, const QMap<QByteArray, QByteArray> &match = {}) const
    {
        QList<Sample> out;
        for (const Sample &s : samples) {
            if (s.name != name)
                continue;
            bool ok = true;
            for (auto it = match.cbegin(); it != match.cend() && ok; ++it)
                ok = s.labels.value(it.key()) == it.value();
            if (ok)
                out.append(s);
        }
        return out;
    }
    [[nodiscard]] double sum(const QByteArray &name, const QMap<QByteArray, QByteArray> &match = {}) const
    {
        double total = 0;
        for (const Sample &s : select(name, match))
            total += s.value;
        return total;
    }
};

Exposition parse(const QByteArray &text)
{
    static const QRegularExpression sampleLine(
        QStringLiteral("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")(,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")*\\})? ([-+]?(?:[0-9]+(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\\+Inf|-Inf|NaN))$"));
    static const QRegularExpression labelPair(QStringLiteral("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\""));
    static const QRegularExpression helpLine(QStringLiteral("^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$"));
    static const QRegularExpression typeLine(
        QStringLiteral("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$"));
    Exposition out;
    if (!text.endsWith('\n'))
        out.errors.append(QStringLiteral("no final newline"));
    const QList<QByteArray> lines = text.split('\n');
    for (int i = 0; i + 1 < lines.size() || (i < lines.size() && !lines[i].isEmpty()); ++i) {
        const QString line = QString::fromUtf8(lines[i]);
        if (line.startsWith(QLatin1String("# HELP"))) {
            if (!helpLine.match(line).hasMatch())
                out.errors.append(line);
            continue;
        }
        if (line.startsWith(QLatin1String("# TYPE"))) {
            const auto m = typeLine.match(line);
            if (!m.hasMatch() || out.types.contains(m.captured(1).toUtf8()))
                out.errors.append(line);
            else
                out.types.insert(m.captured(1).toUtf8(), m.captured(2).toUtf8());
            continue;
        }
        const auto m = sampleLine.match(line);
        if (!m.hasMatch()) {
            out.errors.append(line);
            continue;
        }
        Sample s;
        s.name = m.captured(1).toUtf8();
        auto it = labelPair.globalMatch(m.captured(2));
        while (it.hasNext()) {
            const auto p = it.next();
            s.labels.insert(p.captured(1).toUtf8(), p.captured(2).toUtf8());
        }
        const QString value = m.captured(5);
        s.value = value == QLatin1String("+Inf") ? INFINITY : value.toDouble();
        out.samples.append(s);
    }
    return out;
}

QByteArray familyOf(const Exposition &e, const QByteArray &sampleName)
{
    if (e.types.contains(sampleName))
        return sampleName;
    for (const char *suffix : {"_bucket", "_sum", "_count"}) {
        if (sampleName.endsWith(suffix)) {
            const QByteArray family = sampleName.chopped(int(qstrlen(suffix)));
            if (e.types.value(family) == "histogram")
                return family;
        }
    }
    return {};
}

QByteArray seriesKey(const Sample &s)
{
    QByteArray key = s.name;
    for (auto it = s.labels.cbegin(); it != s.labels.cend(); ++it)
        key += ',' + it.key() + '=' + it.value();
    return key;
}

DbActivity activity(double robots)
{
    DbActivity a;
    a.robotsOnline = robots;
    a.robotsMoving = robots * 0.6;
    a.telemetryPerSecond = robots * 2;
    a.deliveriesPerSecond = robots / 2000.0;
    a.teleopSessions = robots / 200.0;
    return a;
}

// Runs from `fromMs` (exclusive) to `toMs` in whole steps.
void run(DbSimulator &db, std::int64_t fromMs, std::int64_t toMs, const DbActivity &a)
{
    for (std::int64_t t = fromMs + kStepMs; t <= toMs; t += kStepMs)
        db.advance(t, a);
}

Exposition scrape(const DbSimulator &db, const QString &endpoint)
{
    const std::optional<QByteArray> text = db.render(endpoint);
    return text ? parse(*text) : Exposition{};
}

QSet<QByteArray> labelKeys(const Sample &s)
{
    const QList<QByteArray> keys = s.labels.keys();
    return QSet<QByteArray>(keys.begin(), keys.end());
}

// Mean of one histogram between two scrapes.
double meanBetween(const Exposition &before, const Exposition &after, const QByteArray &family,
                   const QMap<QByteArray, QByteArray> &match)
{
    const double count = after.sum(family + "_count", match) - before.sum(family + "_count", match);
    const double sum = after.sum(family + "_sum", match) - before.sum(family + "_sum", match);
    return count > 0 ? sum / count : std::nan("");
}

const QMap<QByteArray, QByteArray> kStandbyReads{{"member", "mongo-2:27017"}, {"op", "read_secondary"}};

}  // namespace

class TestDbSimulator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyEndpointParsesStrictly();
    void labelSetsMatchTheRealExporters_data();
    void labelSetsMatchTheRealExporters();
    void countersOnlyGrow();
    void histogramsAreCumulativeAndMatchTheirCount();
    void moreActivityMeansMoreOperations();
    void standbyBackupSlowsTheStandbyAndRecovers();
    void errorBurstHitsOnlyTheNamedCollection();
    void primaryConnectionsSaturate();
    void sameSeedSameText();
    void incidentsAreValidatedAndParsed();
    void routesAndTargetsCoverEveryEndpoint();
    void labelledHistogramKeepsUnlabelledCallersWorking();
};

void TestDbSimulator::everyEndpointParsesStrictly()
{
    DbSimulator db;
    db.advance(kT0, activity(200));
    run(db, kT0, kT0 + 60'000, activity(200));
    QCOMPARE(db.endpoints().size(), 7);
    for (const auto &[endpoint, text] : db.expositions()) {
        const Exposition e = parse(text);
        QVERIFY2(e.errors.isEmpty(), qPrintable(endpoint + QLatin1String(": ") + e.errors.join(u'\n')));
        QVERIFY2(e.samples.size() > 5, qPrintable(endpoint));
        for (const Sample &s : e.samples)
            QVERIFY2(!familyOf(e, s.name).isEmpty(), s.name.constData());  // every sample under a TYPE
    }
    QVERIFY(!db.render(QStringLiteral("mongodb/mongo-9")).has_value());
    QVERIFY(!db.render(QStringLiteral("mongodb/mongo-0:27017")).has_value());
}

void TestDbSimulator::labelSetsMatchTheRealExporters_data()
{
    QTest::addColumn<QString>("endpoint");
    QTest::addColumn<QByteArray>("sample");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QStringList>("keys");
    const QStringList opLabels{QStringLiteral("client"), QStringLiteral("app"), QStringLiteral("op"),
                               QStringLiteral("collection"), QStringLiteral("db"), QStringLiteral("replicaset"),
                               QStringLiteral("server"), QStringLiteral("username")};
    const QStringList withLe = opLabels + QStringList{QStringLiteral("le")};
    const QString proxy = QStringLiteral("mongoproxy/fleet-api");
    QTest::newRow("latency buckets") << proxy << QByteArray("mongoproxy_response_latency_seconds_bucket")
                                     << QStringLiteral("histogram") << withLe;
    QTest::newRow("latency count") << proxy << QByteArray("mongoproxy_response_latency_seconds_count")
                                   << QStringLiteral("histogram") << opLabels;
    QTest::newRow("documents returned") << proxy << QByteArray("mongoproxy_documents_returned_total_bucket")
                                        << QStringLiteral("histogram") << withLe;
    QTest::newRow("documents changed") << proxy << QByteArray("mongoproxy_documents_changed_total_bucket")
                                       << QStringLiteral("histogram") << withLe;
    QTest::newRow("request bytes") << proxy << QByteArray("mongoproxy_client_request_bytes_total_sum")
                                   << QStringLiteral("histogram") << opLabels;
    QTest::newRow("response bytes") << proxy << QByteArray("mongoproxy_server_response_bytes_total_bucket")
                                    << QStringLiteral("histogram") << withLe;
    QTest::newRow("connections") << proxy << QByteArray("mongoproxy_client_connections_established_total")
                                 << QStringLiteral("counter") << QStringList{QStringLiteral("client")};
    QTest::newRow("connect time") << proxy << QByteArray("mongoproxy_server_connect_time_seconds_bucket")
                                  << QStringLiteral("histogram")
                                  << QStringList{QStringLiteral("server_addr"), QStringLiteral("le")};
    const QString mongod = QStringLiteral("mongodb/mongo-1");
    QTest::newRow("op latency") << mongod << QByteArray("mongodb_ss_opLatencies_latency")
                                << QStringLiteral("untyped") << QStringList{QStringLiteral("op_type")};
    QTest::newRow("op latency ops") << mongod << QByteArray("mongodb_ss_opLatencies_ops")
                                    << QStringLiteral("untyped") << QStringList{QStringLiteral("op_type")};
    QTest::newRow("connections") << mongod << QByteArray("mongodb_ss_connections") << QStringLiteral("untyped")
                                 << QStringList{QStringLiteral("conn_type")};
    QTest::newRow("lag") << mongod << QByteArray("mongodb_mongod_replset_member_replication_lag")
                         << QStringLiteral("gauge")
                         << QStringList{QStringLiteral("name"), QStringLiteral("set"), QStringLiteral("state")};
    QTest::newRow("up") << mongod << QByteArray("mongodb_up") << QStringLiteral("gauge")
                        << QStringList{QStringLiteral("cluster_role")};
    QTest::newRow("prober latency") << QStringLiteral("prober") << QByteArray("mongodb_prober_latency_seconds_bucket")
                                    << QStringLiteral("histogram")
                                    << QStringList{QStringLiteral("member"), QStringLiteral("op"), QStringLiteral("le")};
    QTest::newRow("prober failures") << QStringLiteral("prober") << QByteArray("mongodb_prober_failures_total")
                                     << QStringLiteral("counter")
                                     << QStringList{QStringLiteral("member"), QStringLiteral("op")};
}

void TestDbSimulator::labelSetsMatchTheRealExporters()
{
    QFETCH(QString, endpoint);
    QFETCH(QByteArray, sample);
    QFETCH(QString, type);
    QFETCH(QStringList, keys);
    DbSimulator db;
    db.advance(kT0, activity(500));
    run(db, kT0, kT0 + 30'000, activity(500));
    const Exposition e = scrape(db, endpoint);
    const QList<Sample> samples = e.select(sample);
    QVERIFY2(!samples.isEmpty(), sample.constData());
    QCOMPARE(QString::fromLatin1(e.types.value(familyOf(e, sample))), type);
    QSet<QByteArray> expected;
    for (const QString &k : keys)
        expected.insert(k.toLatin1());
    for (const Sample &s : samples)
        QCOMPARE(labelKeys(s), expected);
}

void TestDbSimulator::countersOnlyGrow()
{
    DbSimulator db;
    db.advance(kT0, activity(300));
    QVERIFY(db.addIncident(DbIncident::primaryConnectionsSaturated(kT0 + 20'000, 60'000), nullptr));
    std::int64_t t = kT0;
    // Cumulative serverStatus numbers, untyped like everything the exporter relays.
    const QSet<QByteArray> cumulativeUntyped{"mongodb_ss_opLatencies_latency", "mongodb_ss_opLatencies_ops",
                                             "mongodb_ss_opcounters", "mongodb_ss_opcountersRepl"};
    QMap<QByteArray, double> previous;
    int compared = 0;
    for (int round = 0; round < 8; ++round) {
        const double robots = round % 2 ? 50 : 800;  // load goes down as well as up
        run(db, t, t + 20'000, activity(robots));
        t += 20'000;
        for (const auto &[endpoint, text] : db.expositions()) {
            const Exposition e = parse(text);
            for (const Sample &s : e.samples) {
                const QByteArray family = familyOf(e, s.name);
                const QByteArray type = e.types.value(family);
                const bool cumulative = type == "counter" || type == "histogram" || cumulativeUntyped.contains(s.name)
                    || (s.name == "mongodb_ss_connections" && s.labels.value("conn_type") == "totalCreated");
                if (!cumulative)
                    continue;
                const QByteArray key = endpoint.toLatin1() + '|' + seriesKey(s);
                if (previous.contains(key)) {
                    QVERIFY2(s.value >= previous.value(key), key.constData());
                    ++compared;
                }
                previous.insert(key, s.value);
            }
        }
    }
    QVERIFY(compared > 1000);
}

void TestDbSimulator::histogramsAreCumulativeAndMatchTheirCount()
{
    DbSimulator db;
    db.advance(kT0, activity(400));
    run(db, kT0, kT0 + 120'000, activity(400));
    int histograms = 0;
    for (const auto &[endpoint, text] : db.expositions()) {
        const Exposition e = parse(text);
        QMap<QByteArray, QList<Sample>> buckets;  // series without le -> its buckets, in order
        QMap<QByteArray, double> counts;
        for (const Sample &s : e.samples) {
            if (s.name.endsWith("_bucket")) {
                Sample withoutLe = s;
                withoutLe.labels.remove("le");
                withoutLe.name = s.name.chopped(7);
                buckets[seriesKey(withoutLe)].append(s);
            } else if (s.name.endsWith("_count") && e.types.value(s.name.chopped(6)) == "histogram") {
                Sample key = s;
                key.name = s.name.chopped(6);
                counts.insert(seriesKey(key), s.value);
            }
        }
        QCOMPARE(buckets.isEmpty(), endpoint.startsWith(QLatin1String("mongodb/")));
        for (auto it = buckets.cbegin(); it != buckets.cend(); ++it) {
            const QList<Sample> &series = it.value();
            double lastLe = -INFINITY;
            double lastValue = 0;
            for (const Sample &b : series) {
                const QByteArray le = b.labels.value("le");
                const double bound = le == "+Inf" ? INFINITY : le.toDouble();
                QVERIFY2(bound > lastLe, it.key().constData());
                QVERIFY2(b.value >= lastValue, it.key().constData());
                lastLe = bound;
                lastValue = b.value;
            }
            QCOMPARE(series.last().labels.value("le"), QByteArray("+Inf"));
            QVERIFY2(counts.contains(it.key()), it.key().constData());
            QCOMPARE(series.last().value, counts.value(it.key()));
            ++histograms;
        }
    }
    QVERIFY(histograms > 50);
    // mongoproxy's latency bounds exactly, as SREs' queries name them.
    const Exposition proxy = scrape(db, QStringLiteral("mongoproxy/dispatcher"));
    QStringList les;
    for (const Sample &s : proxy.select("mongoproxy_response_latency_seconds_bucket"))
        if (les.size() < 7)
            les.append(QString::fromLatin1(s.labels.value("le")));
    QCOMPARE(les, QString::fromLatin1("0.001 0.01 0.1 1 10 60 +Inf").split(u' '));
    QStringList proberLes;
    for (const Sample &s : scrape(db, QStringLiteral("prober")).select("mongodb_prober_latency_seconds_bucket"))
        if (proberLes.size() < 13)
            proberLes.append(QString::fromLatin1(s.labels.value("le")));
    QCOMPARE(proberLes,
             QString::fromLatin1("0.001 0.002 0.005 0.01 0.02 0.05 0.1 0.2 0.5 1 2 5 +Inf").split(u' '));
}

void TestDbSimulator::moreActivityMeansMoreOperations()
{
    DbSimulator quiet({7});
    DbSimulator busy({7});
    quiet.advance(kT0, activity(50));
    busy.advance(kT0, activity(2000));
    run(quiet, kT0, kT0 + 120'000, activity(50));
    run(busy, kT0, kT0 + 120'000, activity(2000));
    for (const QString &app : DbSimulator::apps()) {
        const QString endpoint = QStringLiteral("mongoproxy/") + app;
        const double q = scrape(quiet, endpoint).sum("mongoproxy_response_latency_seconds_count");
        const double b = scrape(busy, endpoint).sum("mongoproxy_response_latency_seconds_count");
        QVERIFY2(q > 0, qPrintable(app));
        QVERIFY2(b > 2 * q, qPrintable(QStringLiteral("%1: %2 vs %3").arg(app).arg(b).arg(q)));
    }
    const QMap<QByteArray, QByteArray> writes{{"op_type", "writes"}};
    const double quietWrites = scrape(quiet, QStringLiteral("mongodb/mongo-0")).sum("mongodb_ss_opLatencies_ops", writes);
    const double busyWrites = scrape(busy, QStringLiteral("mongodb/mongo-0")).sum("mongodb_ss_opLatencies_ops", writes);
    QVERIFY(busyWrites > 5 * quietWrites);
    // Telemetry arrives in batches: many documents per insert.
    const Exposition telemetry = scrape(busy, QStringLiteral("mongoproxy/telemetry-writer"));
    const QMap<QByteArray, QByteArray> inserts{{"op", "insert"}, {"collection", "telemetry"}};
    QVERIFY(telemetry.sum("mongoproxy_documents_changed_total_sum", inserts)
            > 20 * telemetry.sum("mongoproxy_documents_changed_total_count", inserts));
}

void TestDbSimulator::standbyBackupSlowsTheStandbyAndRecovers()
{
    const std::int64_t start = kT0 + 300'000;
    const std::int64_t duration = 300'000;
    DbSimulator db({3});
    QVERIFY(db.addIncident(DbIncident::standbyBackupSlowdown(QStringLiteral("mongo-2"), start, duration), nullptr));
    db.advance(kT0, activity(300));
    run(db, kT0, start, activity(300));
    const Exposition beforeProber = scrape(db, QStringLiteral("prober"));
    const Exposition beforeProxy = scrape(db, QStringLiteral("mongoproxy/fleet-api"));
    const Exposition beforeMember = scrape(db, QStringLiteral("mongodb/mongo-0"));
    QVERIFY(beforeMember.sum("mongodb_mongod_replset_member_replication_lag", {{"name", "mongo-2:27017"}}) <= 1);

    // The last two minutes of the backup window.
    run(db, start, start + duration - 120'000, activity(300));
    const Exposition lateProber = scrape(db, QStringLiteral("prober"));
    const Exposition lateProxy = scrape(db, QStringLiteral("mongoproxy/fleet-api"));
    run(db, start + duration - 120'000, start + duration, activity(300));
    const Exposition endProber = scrape(db, QStringLiteral("prober"));
    const Exposition endProxy = scrape(db, QStringLiteral("mongoproxy/fleet-api"));
    const Exposition endMember = scrape(db, QStringLiteral("mongodb/mongo-0"));

    const double baseline = beforeProber.sum("mongodb_prober_latency_seconds_sum", kStandbyReads)
        / beforeProber.sum("mongodb_prober_latency_seconds_count", kStandbyReads);
    const double during = meanBetween(lateProber, endProber, "mongodb_prober_latency_seconds", kStandbyReads);
    QVERIFY2(during > 10 * baseline, qPrintable(QStringLiteral("%1 vs %2").arg(during).arg(baseline)));
    // The other secondary and the primary are untouched.
    const QMap<QByteArray, QByteArray> otherReads{{"member", "mongo-1:27017"}, {"op", "read_secondary"}};
    const double otherBefore = beforeProber.sum("mongodb_prober_latency_seconds_sum", otherReads)
        / beforeProber.sum("mongodb_prober_latency_seconds_count", otherReads);
    QVERIFY(meanBetween(lateProber, endProber, "mongodb_prober_latency_seconds", otherReads) < 3 * otherBefore);
    // Reads through the proxy on that server get slow; the proxy sees them in the 0.1 s bucket and above.
    const QMap<QByteArray, QByteArray> standbyServer{{"server", "mongo-2:27017"}};
    const double proxyBefore = meanBetween({}, beforeProxy, "mongoproxy_response_latency_seconds", standbyServer);
    const double proxyDuring = meanBetween(lateProxy, endProxy, "mongoproxy_response_latency_seconds", standbyServer);
    QVERIFY2(proxyDuring > 10 * proxyBefore, qPrintable(QStringLiteral("%1 vs %2").arg(proxyDuring).arg(proxyBefore)));
    const QMap<QByteArray, QByteArray> slowBucket{{"server", "mongo-2:27017"}, {"le", "0.01"}};
    const double fastShareDuring =
        (endProxy.sum("mongoproxy_response_latency_seconds_bucket", slowBucket)
         - lateProxy.sum("mongoproxy_response_latency_seconds_bucket", slowBucket))
        / (endProxy.sum("mongoproxy_response_latency_seconds_count", standbyServer)
           - lateProxy.sum("mongoproxy_response_latency_seconds_count", standbyServer));
    QVERIFY2(fastShareDuring < 0.2, qPrintable(QString::number(fastShareDuring)));
    // Replication lag grows on the standby (every member's exporter reports it) and nowhere else.
    QVERIFY(endMember.sum("mongodb_mongod_replset_member_replication_lag", {{"name", "mongo-2:27017"}}) >= 30);
    QVERIFY(endMember.sum("mongodb_mongod_replset_member_replication_lag", {{"name", "mongo-1:27017"}}) <= 1);
    QCOMPARE(scrape(db, QStringLiteral("mongodb/mongo-1"))
                 .sum("mongodb_mongod_replset_member_replication_lag", {{"name", "mongo-2:27017"}}),
             endMember.sum("mongodb_mongod_replset_member_replication_lag", {{"name", "mongo-2:27017"}}));

    // Five minutes after the backup all is back to normal.
    run(db, start + duration, start + duration + 180'000, activity(300));
    const Exposition recoveringProber = scrape(db, QStringLiteral("prober"));
    run(db, start + duration + 180'000, start + duration + 300'000, activity(300));
    const Exposition afterProber = scrape(db, QStringLiteral("prober"));
    const double after = meanBetween(recoveringProber, afterProber, "mongodb_prober_latency_seconds", kStandbyReads);
    QVERIFY2(after < 2 * baseline, qPrintable(QStringLiteral("%1 vs %2").arg(after).arg(baseline)));
    QVERIFY(scrape(db, QStringLiteral("mongodb/mongo-0"))
                .sum("mongodb_mongod_replset_member_replication_lag", {{"name", "mongo-2:27017"}})
            <= 1);
}

void TestDbSimulator::errorBurstHitsOnlyTheNamedCollection()
{
    const std::int64_t start = kT0 + 60'000;
    DbSimulator calm({11});
    DbSimulator burst({11});
    QVERIFY(burst.addIncident(
        DbIncident::errorBurst(QStringLiteral("dispatcher"), QStringLiteral("tasks"), start, 120'000), nullptr));
    for (DbSimulator *db : {&calm, &burst}) {
        db->advance(kT0, activity(400));
        run(*db, kT0, start + 240'000, activity(400));
    }
    const QByteArray errors = "mongoproxy_server_response_errors_total";
    const Exposition calmDispatcher = scrape(calm, QStringLiteral("mongoproxy/dispatcher"));
    const Exposition burstDispatcher = scrape(burst, QStringLiteral("mongoproxy/dispatcher"));
    const double tasksErrors = burstDispatcher.sum(errors, {{"collection", "tasks"}});
    const double tasksOps = burstDispatcher.sum("mongoproxy_response_latency_seconds_count", {{"collection", "tasks"}});
    QVERIFY2(tasksErrors > 0.02 * tasksOps, qPrintable(QStringLiteral("%1 of %2").arg(tasksErrors).arg(tasksOps)));
    QVERIFY(tasksErrors > 20 * (calmDispatcher.sum(errors, {{"collection", "tasks"}}) + 1));
    // Every other series is exactly what it would have been without the burst.
    for (const QString &endpoint : calm.endpoints()) {
        const Exposition c = scrape(calm, endpoint);
        const Exposition b = scrape(burst, endpoint);
        QMap<QByteArray, double> calmErrors;
        for (const Sample &s : c.select(errors))
            calmErrors.insert(seriesKey(s), s.value);
        for (const Sample &s : b.select(errors)) {
            if (endpoint == QLatin1String("mongoproxy/dispatcher") && s.labels.value("collection") == "tasks")
                continue;
            QCOMPARE(s.value, calmErrors.value(seriesKey(s)));
        }
    }
    QCOMPARE(scrape(burst, QStringLiteral("mongoproxy/fleet-api")).sum(errors, {{"collection", "tasks"}}),
             scrape(calm, QStringLiteral("mongoproxy/fleet-api")).sum(errors, {{"collection", "tasks"}}));
}

void TestDbSimulator::primaryConnectionsSaturate()
{
    const std::int64_t start = kT0 + 60'000;
    DbSimulator db;
    QVERIFY(db.addIncident(DbIncident::primaryConnectionsSaturated(start, 300'000), nullptr));
    db.advance(kT0, activity(300));
    run(db, kT0, start, activity(300));
    const auto connections = [&](const char *type) {
        return scrape(db, QStringLiteral("mongodb/mongo-0")).sum("mongodb_ss_connections", {{"conn_type", type}});
    };
    const double total = connections("current") + connections("available");
    QVERIFY(connections("current") < 0.1 * total);
    const double failuresBefore = scrape(db, QStringLiteral("prober")).sum("mongodb_prober_failures_total");
    run(db, start, start + 240'000, activity(300));
    QVERIFY(connections("current") > 0.95 * total);
    QVERIFY(connections("available") < 0.05 * total);
    QCOMPARE(connections("current") + connections("available"), total);
    QVERIFY(scrape(db, QStringLiteral("prober")).sum("mongodb_prober_failures_total") > failuresBefore);
    run(db, start + 240'000, start + 600'000, activity(300));
    QVERIFY(connections("current") < 0.1 * total);
}

void TestDbSimulator::sameSeedSameText()
{
    const auto simulate = [](std::uint64_t seed) {
        DbSimulator db({seed});
        const bool added =
            db.addIncident(DbIncident::replicationLagGrowth(QStringLiteral("mongo-1"), kT0 + 10'000, 30'000), nullptr);
        Q_ASSERT(added);
        Q_UNUSED(added);
        db.advance(kT0, activity(250));
        for (std::int64_t t = kT0 + 250; t <= kT0 + 90'000; t += 250)  // odd steps on purpose
            db.advance(t, activity(250 + double((t - kT0) / 1000)));
        return db.expositions();
    };
    const auto a = simulate(5);
    QCOMPARE(simulate(5), a);
    QVERIFY(simulate(6) != a);
}

void TestDbSimulator::incidentsAreValidatedAndParsed()
{
    DbSimulator db;
    QString error;
    QVERIFY(!db.addIncident(DbIncident::standbyBackupSlowdown(QStringLiteral("mongo-0"), kT0, 1000), &error));
    QVERIFY(error.contains(QLatin1String("primary")));
    QVERIFY(!db.addIncident(DbIncident::replicationLagGrowth(QStringLiteral("mongo-7"), kT0, 1000), &error));
    QVERIFY(!db.addIncident(DbIncident::errorBurst(QStringLiteral("dispatcher"), QStringLiteral("telemetry"), kT0, 1000),
                            &error));
    QVERIFY(!db.addIncident(DbIncident::primaryConnectionsSaturated(kT0, 0), &error));
    QVERIFY(db.incidents().empty());

    const std::optional<DbIncident> backup = parseDbIncident(QStringLiteral("standby-backup:60:300:mongo-2"), kT0, &error);
    QVERIFY(backup);
    QCOMPARE(backup->kind, DbIncident::Kind::StandbyBackupSlowdown);
    QCOMPARE(backup->startMs, kT0 + 60'000);
    QCOMPARE(backup->durationMs, std::int64_t(300'000));
    QCOMPARE(backup->member, QStringLiteral("mongo-2"));
    QVERIFY(db.addIncident(*backup, &error));
    const std::optional<DbIncident> burst = parseDbIncident(QStringLiteral("error-burst:0:30:fleet-api/deliveries"), kT0, &error);
    QVERIFY(burst);
    QCOMPARE(burst->app, QStringLiteral("fleet-api"));
    QCOMPARE(burst->collection, QStringLiteral("deliveries"));
    const std::optional<DbIncident> lag = parseDbIncident(QStringLiteral("replication-lag:5:10"), kT0, &error);
    QVERIFY(lag);
    QCOMPARE(lag->member, DbSimulator::standbyMember());
    QVERIFY(parseDbIncident(QStringLiteral("connections-saturated:1.5:2"), kT0, &error));
    for (const char *bad : {"standby-backup:60", "error-burst:1:2:dispatcher", "fire:1:2", "standby-backup:-1:2",
                            "replication-lag:1:0", "connections-saturated:1:2:mongo-0", "standby-backup:x:2"}) {
        error.clear();
        QVERIFY2(!parseDbIncident(QString::fromLatin1(bad), kT0, &error), bad);
        QVERIFY2(!error.isEmpty(), bad);
    }
}

void TestDbSimulator::routesAndTargetsCoverEveryEndpoint()
{
    DbSimulator db;
    db.advance(kT0, activity(100));
    run(db, kT0, kT0 + 10'000, activity(100));
    const std::vector<DbMetricsRoute> routes = db.httpRoutes("127.0.0.1:9898");
    QSet<QByteArray> paths;
    for (const DbMetricsRoute &route : routes)
        paths.insert(route.path);
    const QSet<QByteArray> expected{"/mongoproxy/fleet-api/metrics", "/mongoproxy/telemetry-writer/metrics",
                                    "/mongoproxy/dispatcher/metrics", "/mongodb/mongo-0/metrics",
                                    "/mongodb/mongo-1/metrics", "/mongodb/mongo-2/metrics", "/prober/metrics",
                                    "/targets"};
    QCOMPARE(paths, expected);
    for (const DbMetricsRoute &route : routes) {
        if (route.path == "/targets") {
            QCOMPARE(route.contentType, QByteArray("application/json"));
            continue;
        }
        QCOMPARE(route.contentType, QByteArray(fleetdeck::PrometheusText::kContentType));
        const QString endpoint = QString::fromLatin1(route.path.mid(1).chopped(int(qstrlen("/metrics"))));
        QCOMPARE(route.body({}), *db.render(endpoint));
    }
    const auto targets = std::find_if(routes.begin(), routes.end(), [](const DbMetricsRoute &r) { return r.path == "/targets"; });
    const QJsonArray groups = QJsonDocument::fromJson(targets->body("sim.local:9898")).array();
    QCOMPARE(groups.size(), 7);
    QSet<QString> metricsPaths;
    for (const QJsonValue &group : groups) {
        QCOMPARE(group[QLatin1String("targets")].toArray(), QJsonArray{QStringLiteral("sim.local:9898")});
        const QJsonObject labels = group[QLatin1String("labels")].toObject();
        QVERIFY(!labels.value(QLatin1String("job")).toString().isEmpty());
        metricsPaths.insert(labels.value(QLatin1String("__metrics_path__")).toString());
    }
    QVERIFY(metricsPaths.contains(QStringLiteral("/mongodb/mongo-2/metrics")));
    QCOMPARE(metricsPaths.size(), 7);
    // Without a Host header the listening address stands in.
    QVERIFY(targets->body({}).contains("127.0.0.1:9898"));
}

void TestDbSimulator::labelledHistogramKeepsUnlabelledCallersWorking()
{
    fleetdeck::Histogram h({0.5, 1});
    h.observe(0.2);
    h.observe(0.7);
    h.observe(3);
    fleetdeck::PrometheusText plain;
    plain.histogram("x_seconds", "X.", h);
    QCOMPARE(plain.text(), QByteArray("# HELP x_seconds X.\n# TYPE x_seconds histogram\n"
                                      "x_seconds_bucket{le=\"0.5\"} 1\nx_seconds_bucket{le=\"1\"} 2\n"
                                      "x_seconds_bucket{le=\"+Inf\"} 3\nx_seconds_sum 3.9\nx_seconds_count 3\n"));
    fleetdeck::PrometheusText labelled;
    labelled.histogram("x_seconds", "X.", h, {{"op", "find"}});
    labelled.histogram("x_seconds", "X.", h, {{"op", "in\"sert"}});
    const QByteArray text = labelled.text();
    QCOMPARE(text.count("# TYPE"), 1);
    QVERIFY(text.contains("x_seconds_bucket{op=\"find\",le=\"1\"} 2\n"));
    QVERIFY(text.contains("x_seconds_sum{op=\"find\"} 3.9\n"));
    QVERIFY(text.contains("x_seconds_count{op=\"in\\\"sert\"} 3\n"));
    QVERIFY(parse(text).errors.isEmpty());
}

QTEST_GUILESS_MAIN(TestDbSimulator)
#include "tst_dbsimulator.moc"
