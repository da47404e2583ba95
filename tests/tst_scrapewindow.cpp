#include "exposition.h"
#include "scrapewindow.h"

#include <QLocale>
#include <QTest>

#include <cmath>
#include <limits>

using namespace fleetdeck::metrics;

namespace {

constexpr qint64 kWindowMs = 30000;
constexpr double kInf = std::numeric_limits<double>::infinity();
const std::vector<double> kMongoproxyBounds{0.001, 0.01, 0.1, 1, 10, 60, kInf};
const QByteArray kLatency = QByteArrayLiteral("mongoproxy_response_latency_seconds");

QByteArray number(double value)
{
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    return QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
}

// The text mongoproxy writes for one series: cumulative bucket counts (the last one +Inf), sum, count.
QByteArray histogramSeries(const QByteArray &name, const QByteArray &labels, const std::vector<double> &bounds,
                           const std::vector<double> &cumulative, double sum)
{
    QByteArray out;
    for (std::size_t i = 0; i < bounds.size(); ++i)
        out += name + "_bucket{" + labels + ",le=\"" + number(bounds[i]) + "\"} " + number(cumulative[i]) + '\n';
    out += name + "_sum{" + labels + "} " + number(sum) + '\n';
    out += name + "_count{" + labels + "} " + number(cumulative.back()) + '\n';
    return out;
}

QByteArray typed(const QByteArray &name, const char *type, const QByteArray &samples)
{
    return "# TYPE " + name + ' ' + type + '\n' + samples;
}

// Parses and adds; false on a parse error or a refused scrape, so callers can QVERIFY it.
bool add(ScrapeWindow &window, const QByteArray &target, qint64 nowMs, const QByteArray &text)
{
    const Exposition exposition = parseExposition(text);
    for (const ParseError &error : exposition.errors)
        qWarning("line %d: %s", error.line, qPrintable(error.message));
    return exposition.errors.empty() && window.add(target, nowMs, exposition);
}

// "c_total{labels} value" lines for one scrape.
QByteArray counterLines(const QByteArray &name, const std::vector<std::pair<QByteArray, double>> &series)
{
    QByteArray out = "# TYPE " + name + " counter\n";
    for (const auto &[labels, value] : series)
        out += name + '{' + labels + "} " + number(value) + '\n';
    return out;
}

bool near(double actual, double expected) { return actual == expected || std::abs(actual - expected) <= 1e-9 * std::max(1.0, std::abs(expected)); }

#define COMPARE_NEAR(actual, expected)                                                                                 \
    do {                                                                                                               \
        const double a_ = (actual);                                                                                    \
        const double e_ = (expected);                                                                                  \
        QVERIFY2(near(a_, e_), qPrintable(QStringLiteral("%1 is %2, expected %3").arg(QStringLiteral(#actual)).arg(a_, 0, 'g', 17).arg(e_, 0, 'g', 17))); \
    } while (false)

void compareVectors(const std::vector<double> &actual, const std::vector<double> &expected)
{
    QCOMPARE(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i)
        QVERIFY2(near(actual[i], expected[i]),
                 qPrintable(QStringLiteral("[%1] is %2, expected %3").arg(i).arg(actual[i]).arg(expected[i])));
}

}  // namespace

class TestScrapeWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rateOverTwoScrapes()
    {
        ScrapeWindow window(kWindowMs);
        QVERIFY(add(window, "proxy-a", 1000, counterLines("c_total", {{"app=\"a\"", 100}})));
        QVERIFY(add(window, "proxy-a", 11000, counterLines("c_total", {{"app=\"a\"", 160}})));
        const auto rates = window.rate("c_total", {"app"});
        QCOMPARE(rates.size(), std::size_t(1));
        COMPARE_NEAR(rates.at(Labels{{"app", "a"}}), 6.0);  // 60 in 10 s
    }

    // The window's first increase is measured from the last scrape at or before its start.
    void rateUsesScrapeBeforeWindowStart()
    {
        ScrapeWindow window(kWindowMs);
        const double values[] = {0, 100, 110, 120, 130};
        for (int i = 0; i < 5; ++i)
            QVERIFY(add(window, "proxy-a", i * 10000, counterLines("c_total", {{"app=\"a\"", values[i]}})));
        // Window (10 s, 40 s]: from 100 at 10 s to 130 at 40 s. With the 0 at 0 s it would be 3.25.
        COMPARE_NEAR(window.rate("c_total", {}).at(Labels{}), 1.0);
        QCOMPARE(window.pointCount(), qsizetype(4));  // the scrape at 0 s is gone

        // Scrapes 5 s apart: the baseline is the one at 10 s, not at 5 s or 15 s.
        ScrapeWindow fine(kWindowMs);
        for (int i = 0; i <= 8; ++i)
            QVERIFY(add(fine, "proxy-a", i * 5000, counterLines("c_total", {{"app=\"a\"", double(i * i)}})));
        // now 40 s, start 10 s: 64 - 4 over 30 s.
        COMPARE_NEAR(fine.rate("c_total", {}).at(Labels{}), 2.0);
        QCOMPARE(fine.pointCount(), qsizetype(7));
    }

    void counterResetMidWindow()
    {
        ScrapeWindow window(kWindowMs);
        const double values[] = {50, 80, 5, 25};  // the process restarted between 10 s and 20 s
        for (int i = 0; i < 4; ++i)
            QVERIFY(add(window, "proxy-a", i * 10000, counterLines("c_total", {{"app=\"a\"", values[i]}})));
        // 30 + 5 (counted from 0) + 20 = 55 over 30 s
        COMPARE_NEAR(window.rate("c_total", {"app"}).at(Labels{{"app", "a"}}), 55.0 / 30.0);
    }

    void groupsAwayClientAndUsername()
    {
        ScrapeWindow window(kWindowMs);
        const auto scrape = [](double scale) {
            return counterLines("mongoproxy_client_bytes_sent_total",
                                {{"app=\"courier\",client=\"10.0.0.1\",collection=\"orders\",username=\"alice\"", 100 * scale},
                                 {"app=\"courier\",client=\"10.0.0.2\",collection=\"orders\",username=\"bob\"", 200 * scale},
                                 {"app=\"courier\",client=\"10.0.0.1\",collection=\"robots\",username=\"alice\"", 300 * scale},
                                 {"app=\"dispatch\",client=\"10.0.0.3\",collection=\"orders\",username=\"carol\"", 400 * scale},
                                 {"client=\"10.0.0.4\",collection=\"orders\"", 500 * scale}});
        };
        QVERIFY(add(window, "proxy-a", 0, scrape(1)));
        QVERIFY(add(window, "proxy-a", 20000, scrape(3)));  // every series doubled its value in 20 s
        // groupBy order does not matter: keys are sorted by label name, with "" for a missing label.
        const auto rates = window.rate("mongoproxy_client_bytes_sent_total", {"collection", "app"});
        QCOMPARE(rates.size(), std::size_t(4));
        COMPARE_NEAR(rates.at(Labels{{"app", "courier"}, {"collection", "orders"}}), (200.0 + 400.0) / 20);
        COMPARE_NEAR(rates.at(Labels{{"app", "courier"}, {"collection", "robots"}}), 600.0 / 20);
        COMPARE_NEAR(rates.at(Labels{{"app", "dispatch"}, {"collection", "orders"}}), 800.0 / 20);
        COMPARE_NEAR(rates.at(Labels{{"app", ""}, {"collection", "orders"}}), 1000.0 / 20);

        const auto all = window.rate("mongoproxy_client_bytes_sent_total", {});
        QCOMPARE(all.size(), std::size_t(1));
        COMPARE_NEAR(all.at(Labels{}), 3000.0 / 20);

        const auto byUser = window.rate("mongoproxy_client_bytes_sent_total", {"username"});
        COMPARE_NEAR(byUser.at(Labels{{"username", "alice"}}), 800.0 / 20);
        COMPARE_NEAR(byUser.at(Labels{{"username", ""}}), 1000.0 / 20);
    }

    void matchFilterAndTargets()
    {
        ScrapeWindow window(kWindowMs);
        const auto scrape = [](double scale) {
            return counterLines("ops_total", {{"app=\"courier\",op=\"find\"", 10 * scale},
                                              {"app=\"courier\",op=\"insert\"", 20 * scale},
                                              {"app=\"dispatch\",op=\"find\"", 40 * scale},
                                              {"op=\"find\"", 80 * scale}});
        };
        // The same label sets on two proxies are different series.
        QVERIFY(add(window, "proxy-a", 0, scrape(1)));
        QVERIFY(add(window, "proxy-b", 1000, scrape(10)));
        QVERIFY(add(window, "proxy-a", 10000, scrape(2)));
        QVERIFY(add(window, "proxy-b", 11000, scrape(20)));

        const auto finds = window.rate("ops_total", {"app"}, {{"op", "find"}});
        QCOMPARE(finds.size(), std::size_t(3));
        COMPARE_NEAR(finds.at(Labels{{"app", "courier"}}), 1.0 + 10.0);
        COMPARE_NEAR(finds.at(Labels{{"app", "dispatch"}}), 4.0 + 40.0);
        COMPARE_NEAR(finds.at(Labels{{"app", ""}}), 8.0 + 80.0);

        // "" matches a missing label, as in PromQL; two matchers must both hold.
        const auto noApp = window.rate("ops_total", {}, {{"app", ""}});
        COMPARE_NEAR(noApp.at(Labels{}), 88.0);
        const auto courierInserts = window.rate("ops_total", {"op"}, {{"app", "courier"}, {"op", "insert"}});
        QCOMPARE(courierInserts.size(), std::size_t(1));
        COMPARE_NEAR(courierInserts.at(Labels{{"op", "insert"}}), 22.0);
        QVERIFY(window.rate("ops_total", {}, {{"app", "nobody"}}).empty());
        QVERIFY(window.rate("no_such_total", {}).empty());

        const auto byTarget = window.rate("ops_total", {kTargetLabel});
        QCOMPARE(byTarget.size(), std::size_t(2));
        COMPARE_NEAR(byTarget.at(Labels{{kTargetLabel, "proxy-a"}}), 15.0);
        COMPARE_NEAR(byTarget.at(Labels{{kTargetLabel, "proxy-b"}}), 150.0);
        const auto onlyB = window.rate("ops_total", {"op"}, {{kTargetLabel, "proxy-b"}});
        COMPARE_NEAR(onlyB.at(Labels{{"op", "find"}}), 130.0);
    }

    void seriesSeenOnceGivesNoRate()
    {
        ScrapeWindow window(kWindowMs);
        QVERIFY(add(window, "proxy-a", 0, counterLines("c_total", {{"app=\"a\"", 5}})));
        QVERIFY(window.rate("c_total", {"app"}).empty());
        // A new series (client connected) appears in the second scrape: only the old one has a rate.
        QVERIFY(add(window, "proxy-a", 10000, counterLines("c_total", {{"app=\"a\"", 15}, {"app=\"b\"", 1000}})));
        const auto rates = window.rate("c_total", {"app"});
        QCOMPARE(rates.size(), std::size_t(1));
        COMPARE_NEAR(rates.at(Labels{{"app", "a"}}), 1.0);
        // A NaN scrape does not count as a second scrape.
        ScrapeWindow nan(kWindowMs);
        QVERIFY(add(nan, "proxy-a", 0, "x_total 1\n"));
        QVERIFY(add(nan, "proxy-a", 10000, "x_total NaN\n"));
        QVERIFY(nan.rate("x_total", {}).empty());
        QVERIFY(add(nan, "proxy-a", 20000, "x_total 21\n"));
        COMPARE_NEAR(nan.rate("x_total", {}).at(Labels{}), 1.0);
    }

    void latestGauge()
    {
        ScrapeWindow window(kWindowMs);
        const QByteArray text = typed("mongodb_ss_connections", "gauge",
                                      "mongodb_ss_connections{conn_type=\"current\",rs_nm=\"rs0\"} 87\n"
                                      "mongodb_ss_connections{conn_type=\"active\",rs_nm=\"rs0\"} 14\n"
                                      "mongodb_ss_connections{conn_type=\"current\",rs_nm=\"rs1\"} 40\n"
                                      "mongodb_ss_connections{conn_type=\"active\",rs_nm=\"rs1\"} NaN\n");
        QVERIFY(add(window, "mongo-0", 0, text));
        QVERIFY(add(window, "mongo-1", 500,
                     typed("mongodb_ss_connections", "gauge", "mongodb_ss_connections{conn_type=\"current\",rs_nm=\"rs0\"} 3\n")));
        const auto sums = window.latest("mongodb_ss_connections", {"conn_type"}, Aggregate::Sum);
        QCOMPARE(sums.size(), std::size_t(2));
        QCOMPARE(sums.at(Labels{{"conn_type", "current"}}), 130.0);
        QCOMPARE(sums.at(Labels{{"conn_type", "active"}}), 14.0);  // NaN left out
        const auto maxima = window.latest("mongodb_ss_connections", {"conn_type"}, Aggregate::Max);
        QCOMPARE(maxima.at(Labels{{"conn_type", "current"}}), 87.0);
        const auto minima = window.latest("mongodb_ss_connections", {"rs_nm"}, Aggregate::Min, {{"conn_type", "current"}});
        QCOMPARE(minima.at(Labels{{"rs_nm", "rs0"}}), 3.0);
        QCOMPARE(minima.at(Labels{{"rs_nm", "rs1"}}), 40.0);

        // Next scrape of mongo-0 has a new value for one series and lacks the others: they are stale.
        QVERIFY(add(window, "mongo-0", 5000,
                     typed("mongodb_ss_connections", "gauge", "mongodb_ss_connections{conn_type=\"current\",rs_nm=\"rs0\"} 90\n")));
        const auto after = window.latest("mongodb_ss_connections", {"conn_type", "rs_nm"}, Aggregate::Sum);
        QCOMPARE(after.size(), std::size_t(1));
        QCOMPARE(after.at(Labels{{"conn_type", "current"}, {"rs_nm", "rs0"}}), 93.0);
    }

    void histogramShares()
    {
        ScrapeWindow window(kWindowMs);
        const QByteArray courier = "app=\"courier\",collection=\"orders\",db=\"fleet\",op=\"find\"";
        const QByteArray report = "app=\"reporting\",collection=\"orders\",db=\"fleet\",op=\"aggregate\"";
        const auto scrape = [&](int i) {
            // Cumulative counts at 0 s and 10 s of three courier series and one reporting series.
            const std::vector<double> s1[] = {{10, 50, 90, 100, 100, 100, 100}, {20, 100, 170, 190, 200, 200, 200}};
            const std::vector<double> s2[] = {{0, 0, 0, 0, 0, 0, 0}, {5, 20, 60, 80, 95, 99, 100}};
            const std::vector<double> s3[] = {{3, 3, 3, 3, 3, 3, 3}, {3, 13, 23, 33, 43, 48, 53}};
            const std::vector<double> r1[] = {{0, 0, 0, 0, 7, 7, 7}, {0, 0, 0, 0, 8, 9, 9}};
            const double sums[][4] = {{5, 0, 1, 70}, {30, 150, 401, 95}};
            return typed(kLatency, "histogram",
                         histogramSeries(kLatency, courier + ",client=\"10.0.0.1\",username=\"alice\"", kMongoproxyBounds, s1[i], sums[i][0])
                             + histogramSeries(kLatency, courier + ",client=\"10.0.0.2\",username=\"bob\"", kMongoproxyBounds, s2[i], sums[i][1])
                             + histogramSeries(kLatency, courier + ",client=\"10.0.0.3\",username=\"alice\"", kMongoproxyBounds, s3[i], sums[i][2])
                             + histogramSeries(kLatency, report + ",client=\"10.0.0.9\",username=\"bi\"", kMongoproxyBounds, r1[i], sums[i][3]));
        };
        QVERIFY(add(window, "proxy-a", 0, scrape(0)));
        QVERIFY(add(window, "proxy-a", 10000, scrape(1)));

        const auto groups = window.histogram(kLatency, {"app", "collection"});
        QCOMPARE(groups.size(), std::size_t(2));
        const HistogramWindow &h = groups.at(Labels{{"app", "courier"}, {"collection", "orders"}});
        QCOMPARE(h.series, 3);
        QCOMPARE(h.skippedSeries, 0);
        compareVectors(h.upperBounds, kMongoproxyBounds);
        // Increases: s1 {10,50,80,90,100,100,100}, s2 {5,20,60,80,95,99,100}, s3 {0,10,20,30,40,45,50}
        compareVectors(h.bucketIncrease, {15, 80, 160, 200, 235, 244, 250});
        COMPARE_NEAR(h.count, 250);
        COMPARE_NEAR(h.total(), 250);
        COMPARE_NEAR(h.sum, 25 + 150 + 400);
        COMPARE_NEAR(h.ratePerSecond, 25);
        compareVectors(h.shares(), {0.06, 0.26, 0.32, 0.16, 0.14, 0.036, 0.024});
        COMPARE_NEAR(*h.shareAbove(0.01), 0.68);
        COMPARE_NEAR(*h.shareAbove(0.1), 0.36);
        COMPARE_NEAR(*h.shareAbove(1), 0.2);
        COMPARE_NEAR(*h.shareAbove(kInf), 0);
        QVERIFY(!h.shareAbove(0.05));  // not a bound: no guess

        const HistogramWindow &r = groups.at(Labels{{"app", "reporting"}, {"collection", "orders"}});
        compareVectors(r.bucketIncrease, {0, 0, 0, 0, 1, 2, 2});
        COMPARE_NEAR(*r.shareAbove(10), 0.5);
        COMPARE_NEAR(*r.shareAbove(1), 1);
        COMPARE_NEAR(*r.shareAbove(60), 0);
        COMPARE_NEAR(r.ratePerSecond, 0.2);

        const auto finds = window.histogram(kLatency, {"username"}, {{"op", "find"}});
        QCOMPARE(finds.size(), std::size_t(2));
        compareVectors(finds.at(Labels{{"username", "bob"}}).bucketIncrease, {5, 20, 60, 80, 95, 99, 100});
        COMPARE_NEAR(finds.at(Labels{{"username", "alice"}}).count, 150);
    }

    void histogramWithoutObservations()
    {
        ScrapeWindow window(kWindowMs);
        const std::vector<double> flat{4, 4, 4, 4, 4, 4, 4};
        QVERIFY(add(window, "proxy-a", 0, typed(kLatency, "histogram", histogramSeries(kLatency, "app=\"a\"", kMongoproxyBounds, flat, 1))));
        QVERIFY(window.histogram(kLatency, {"app"}).empty());  // one scrape: nothing yet
        QVERIFY(add(window, "proxy-a", 10000, typed(kLatency, "histogram", histogramSeries(kLatency, "app=\"a\"", kMongoproxyBounds, flat, 1))));
        const HistogramWindow h = window.histogram(kLatency, {"app"}).at(Labels{{"app", "a"}});
        QCOMPARE(h.series, 1);
        QCOMPARE(h.total(), 0.0);
        compareVectors(h.shares(), {0, 0, 0, 0, 0, 0, 0});
        QVERIFY(!h.shareAbove(0.1));
        QVERIFY(std::isnan(h.quantile(0.5)));
    }

    void histogramResetAndOddBounds()
    {
        ScrapeWindow window(kWindowMs);
        const std::vector<double> oddBounds{0.005, 0.05, kInf};
        const auto scrape = [&](int i) {
            const std::vector<double> restarted[] = {{100, 200, 300, 400, 500, 600, 700}, {1, 2, 3, 4, 5, 6, 6}, {2, 4, 6, 8, 10, 12, 12}};
            const double restartedSums[] = {1000, 2, 5};
            const std::vector<double> steady[] = {{0, 0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2, 2}};
            const std::vector<double> odd[] = {{0, 0, 0}, {50, 50, 50}, {99, 99, 99}};
            return typed(kLatency, "histogram",
                         histogramSeries(kLatency, "app=\"a\",client=\"1\"", kMongoproxyBounds, restarted[i], restartedSums[i])
                             + histogramSeries(kLatency, "app=\"a\",client=\"2\"", kMongoproxyBounds, steady[i], i)
                             + histogramSeries(kLatency, "app=\"a\",client=\"3\"", oddBounds, odd[i], i));
        };
        for (int i = 0; i < 3; ++i)
            QVERIFY(add(window, "proxy-a", i * 10000, scrape(i)));
        const HistogramWindow h = window.histogram(kLatency, {"app"}).at(Labels{{"app", "a"}});
        QCOMPARE(h.series, 2);
        QCOMPARE(h.skippedSeries, 1);
        compareVectors(h.upperBounds, kMongoproxyBounds);
        // client 1: restart, then {1,2,3,4,5,6,6} twice; client 2: {2,2,...}
        compareVectors(h.bucketIncrease, {4, 6, 8, 10, 12, 14, 14});
        COMPARE_NEAR(h.count, 14);
        COMPARE_NEAR(h.sum, 5 + 2);
        COMPARE_NEAR(h.ratePerSecond, 14.0 / 20);

        // Grouped by client, the odd series is fine on its own.
        const auto byClient = window.histogram(kLatency, {"client"});
        compareVectors(byClient.at(Labels{{"client", "3"}}).upperBounds, oddBounds);
        compareVectors(byClient.at(Labels{{"client", "3"}}).bucketIncrease, {99, 99, 99});
        QCOMPARE(byClient.at(Labels{{"client", "3"}}).skippedSeries, 0);
    }

    // Black-box prober buckets, 1-2-5 from 1 ms to 5 s: fine enough for a quantile.
    void quantileOnFineBuckets()
    {
        const std::vector<double> bounds{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, kInf};
        // Wanted increase, cumulative: per bucket {0,2,8,10,20,30,15,8,4,2,1,0,0}, 100 in all.
        const std::vector<double> before{1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 144};
        const std::vector<double> increaseA{0, 2, 10, 15, 30, 50, 60, 68, 72, 74, 75, 75, 75};
        const std::vector<double> afterB{0, 0, 0, 5, 10, 20, 25, 25, 25, 25, 25, 25, 25};
        std::vector<double> afterA(bounds.size());
        for (std::size_t i = 0; i < bounds.size(); ++i)
            afterA[i] = before[i] + increaseA[i];
        const QByteArray name = "probe_duration_seconds";
        ScrapeWindow window(kWindowMs);
        QVERIFY(add(window, "prober", 0,
                    typed(name, "histogram",
                          histogramSeries(name, "check=\"find\",region=\"eu\"", bounds, before, 3)
                              + histogramSeries(name, "check=\"find\",region=\"us\"", bounds, std::vector<double>(bounds.size()), 0))));
        QVERIFY(add(window, "prober", 15000,
                    typed(name, "histogram",
                          histogramSeries(name, "check=\"find\",region=\"eu\"", bounds, afterA, 9)
                              + histogramSeries(name, "check=\"find\",region=\"us\"", bounds, afterB, 2))));
        const HistogramWindow h = window.histogram(name, {"check"}).at(Labels{{"check", "find"}});
        compareVectors(h.bucketIncrease, {0, 2, 10, 20, 40, 70, 85, 93, 97, 99, 100, 100, 100});
        // rank 50 in (0.02, 0.05] holding 40..70: 0.02 + 0.03 * 10/30
        COMPARE_NEAR(h.quantile(0.5), 0.03);
        // rank 90 in (0.1, 0.2] holding 85..93: 0.1 + 0.1 * 5/8
        COMPARE_NEAR(h.quantile(0.9), 0.1625);
        COMPARE_NEAR(h.quantile(0.99), 1.0);
        COMPARE_NEAR(h.quantile(0.995), 1.5);
        // rank 1 in the first non-empty bucket (0.001, 0.002]
        COMPARE_NEAR(h.quantile(0.01), 0.0015);
        COMPARE_NEAR(h.quantile(1), 2.0);
        COMPARE_NEAR(h.ratePerSecond, 100.0 / 15);
        COMPARE_NEAR(h.sum, 8);
    }

    void quantileEdges()
    {
        HistogramWindow h;
        h.upperBounds = {1, 2, kInf};
        h.bucketIncrease = {0, 5, 10};
        COMPARE_NEAR(h.quantile(0.25), 1.5);
        QCOMPARE(h.quantile(0.9), 2.0);  // in the +Inf bucket: the highest finite bound
        QCOMPARE(h.quantile(-0.1), -kInf);
        QCOMPARE(h.quantile(1.1), kInf);
        QVERIFY(std::isnan(h.quantile(std::numeric_limits<double>::quiet_NaN())));
        HistogramWindow noInf;
        noInf.upperBounds = {1, 2};
        noInf.bucketIncrease = {1, 2};
        QVERIFY(std::isnan(noInf.quantile(0.5)));
        QVERIFY(std::isnan(HistogramWindow().quantile(0.5)));
        HistogramWindow negative;
        negative.upperBounds = {-1, 0, kInf};
        negative.bucketIncrease = {4, 8, 8};
        QCOMPARE(negative.quantile(0.25), -1.0);  // no lower edge below a non-positive first bound
    }

    void evictionAndVanishedTargets()
    {
        ScrapeWindow window(kWindowMs);
        for (qint64 t = 0; t <= 60000; t += 10000) {
            std::vector<std::pair<QByteArray, double>> series{{"client=\"1\"", double(t / 1000)}};
            if (t <= 20000)  // client 2 disconnects after 20 s
                series.emplace_back("client=\"2\"", double(2 * t / 1000));
            QVERIFY(add(window, "proxy-a", t, counterLines("c_total", series)));
            if (t <= 10000)  // proxy-b goes away after 10 s
                QVERIFY(add(window, "proxy-b", t + 1, counterLines("c_total", {{"client=\"3\"", double(t / 1000)}})));

            if (t == 30000) {
                // client 2 left 10 s ago but its increase is inside the window: it still counts.
                const auto rates = window.rate("c_total", {"client"});
                COMPARE_NEAR(rates.at(Labels{{"client", "1"}}), 1.0);
                COMPARE_NEAR(rates.at(Labels{{"client", "2"}}), 2.0);
                COMPARE_NEAR(rates.at(Labels{{"client", "3"}}), 1.0);
                // but it is not a current value any more
                const auto current = window.latest("c_total", {"client"}, Aggregate::Sum, {{kTargetLabel, "proxy-a"}});
                QCOMPARE(current.size(), std::size_t(1));
                QCOMPARE(current.at(Labels{{"client", "1"}}), 30.0);
                QCOMPARE(window.targetCount(), 2);
            }
            if (t == 40000) {
                // proxy-b's last scrape (10.001 s) is inside (10 s, 40 s]: its increase still counts.
                QCOMPARE(window.targetCount(), 2);
                COMPARE_NEAR(window.rate("c_total", {"client"}).at(Labels{{"client", "3"}}), 1.0);
            }
        }
        // now 60 s, window (30 s, 60 s]
        QCOMPARE(window.targetCount(), 1);  // proxy-b forgotten
        QCOMPARE(window.seriesCount(), qsizetype(1));  // client 2 forgotten
        QCOMPARE(window.pointCount(), qsizetype(4));   // 30 s (baseline), 40, 50, 60
        const auto rates = window.rate("c_total", {"client"});
        QCOMPARE(rates.size(), std::size_t(1));
        COMPARE_NEAR(rates.at(Labels{{"client", "1"}}), 1.0);

        // No scrape for a while (the proxy is down): advancing the clock forgets it too.
        window.advance(90000);
        QCOMPARE(window.targetCount(), 1);  // last scrape 60 s is the window start: still there
        window.advance(90001);
        QCOMPARE(window.targetCount(), 0);
        QCOMPARE(window.seriesCount(), qsizetype(0));
        QVERIFY(window.rate("c_total", {}).empty());
        QCOMPARE(window.nowMs(), qint64(90001));
    }

    void refusedScrapes()
    {
        ScrapeWindow window(kWindowMs);
        QVERIFY(add(window, "proxy-a", 50000, "x_total 1\n"));
        QVERIFY(!add(window, "proxy-a", 50000, "x_total 2\n"));  // same time again
        QVERIFY(!add(window, "proxy-a", 40000, "x_total 2\n"));  // earlier
        QVERIFY(!add(window, "proxy-b", 19999, "x_total 2\n"));  // before the window
        QVERIFY(add(window, "proxy-b", 20000, "x_total 2\n"));
        QCOMPARE(window.pointCount(), qsizetype(2));
        QVERIFY(add(window, "proxy-a", 60000, "x_total 11\n"));
        COMPARE_NEAR(window.rate("x_total", {}, {{kTargetLabel, "proxy-a"}}).at(Labels{}), 1.0);
    }

    void summaryCountAsCounter()
    {
        ScrapeWindow window(kWindowMs);
        const auto scrape = [](double count, double sum) {
            return typed("rpc_seconds", "summary",
                         "rpc_seconds{quantile=\"0.99\"} 0.3\nrpc_seconds_sum " + number(sum) + "\nrpc_seconds_count " + number(count) + '\n');
        };
        QVERIFY(add(window, "svc", 0, scrape(100, 10)));
        QVERIFY(add(window, "svc", 4000, scrape(120, 12)));
        COMPARE_NEAR(window.rate("rpc_seconds_count", {}).at(Labels{}), 5.0);
        COMPARE_NEAR(window.rate("rpc_seconds_sum", {}).at(Labels{}), 0.5);
        QCOMPARE(window.latest("rpc_seconds", {"quantile"}, Aggregate::Max).at(Labels{{"quantile", "0.99"}}), 0.3);
        QVERIFY(window.histogram("rpc_seconds", {}).empty());
    }

    // Clients come and go every scrape: series, points and the string pool stay bounded.
    void churnStaysBounded()
    {
        ScrapeWindow window(kWindowMs);
        for (int scrape = 0; scrape < 40; ++scrape) {
            QByteArray text = "# TYPE c_total counter\n";
            for (int i = 0; i < 200; ++i) {
                text += "c_total{app=\"courier\",client=\"10." + QByteArray::number(scrape) + '.' + QByteArray::number(i)
                    + "\",username=\"u" + QByteArray::number(scrape * 200 + i) + "\"} 1\n";
            }
            text += "c_total{app=\"steady\"} " + QByteArray::number(scrape * 5) + '\n';
            QVERIFY(add(window, "proxy-a", scrape * 5000, text));
            // Series whose last scrape is at or after the window start: this one and the 6 before.
            const int kept = std::min(scrape + 1, 7);
            QCOMPARE(window.seriesCount(), qsizetype(kept * 200 + 1));
        }
        COMPARE_NEAR(window.rate("c_total", {"app"}).at(Labels{{"app", "steady"}}), 1.0);
        QVERIFY(!window.rate("c_total", {"app"}).count(Labels{{"app", "courier"}}));
        COMPARE_NEAR(window.latest("c_total", {"app"}, Aggregate::Sum).at(Labels{{"app", "courier"}}), 200.0);
        QCOMPARE(window.pointCount(), qsizetype(7 * 200 + 7));
    }

    void rejectedHistograms()
    {
        ScrapeWindow window(kWindowMs);
        // A duplicate le, and a series with neither +Inf nor _count: neither can be stored.
        const QByteArray text = typed("h", "histogram",
                                      "h_bucket{a=\"1\",le=\"1\"} 1\nh_bucket{a=\"1\",le=\"1\"} 2\nh_bucket{a=\"1\",le=\"+Inf\"} 2\n"
                                      "h_bucket{a=\"2\",le=\"1\"} 1\nh_sum{a=\"2\"} 1\n"
                                      "h_bucket{a=\"3\",le=\"1\"} 1\nh_count{a=\"3\"} 4\n");
        QVERIFY(add(window, "t", 0, text));
        QCOMPARE(window.rejectedHistograms(), quint64(2));
        QCOMPARE(window.seriesCount(), qsizetype(1));  // a="3", its +Inf bucket taken from _count
        QVERIFY(add(window, "t", 1000, typed("h", "histogram", "h_bucket{a=\"3\",le=\"1\"} 2\nh_count{a=\"3\"} 8\n")));
        const HistogramWindow h = window.histogram("h", {"a"}).at(Labels{{"a", "3"}});
        compareVectors(h.upperBounds, {1, kInf});
        compareVectors(h.bucketIncrease, {1, 4});
        QVERIFY(std::isnan(h.sum));  // no h_sum exposed
    }
};

QTEST_GUILESS_MAIN(TestScrapeWindow)
#include "tst_scrapewindow.moc"
