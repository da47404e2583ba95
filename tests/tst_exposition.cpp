#include "exposition.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

#include <cmath>
#include <limits>

using namespace fleetdeck::metrics;

Q_DECLARE_METATYPE(std::optional<double>)
Q_DECLARE_METATYPE(std::optional<qint64>)

namespace {

// As the Rust prometheus crate in mongoproxy writes it: labels in declaration order with `le` last.
const QByteArray kMongoproxy = QByteArrayLiteral(
    "# HELP mongoproxy_client_connections_established_total Total number of client connections established\n"
    "# TYPE mongoproxy_client_connections_established_total counter\n"
    "mongoproxy_client_connections_established_total 1423\n"
    "# HELP mongoproxy_response_latency_seconds Backend response latency\n"
    "# TYPE mongoproxy_response_latency_seconds histogram\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\",le=\"0.001\"} 1520\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\",le=\"0.01\"} 8713\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\",le=\"0.1\"} 9980\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\",le=\"1\"} 10021\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\",le=\"10\"} 10024\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\",le=\"60\"} 10024\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\",le=\"+Inf\"} 10024\n"
    "mongoproxy_response_latency_seconds_sum{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\"} 61.40200000000117\n"
    "mongoproxy_response_latency_seconds_count{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"courier\"} 10024\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\",le=\"0.001\"} 0\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\",le=\"0.01\"} 402\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\",le=\"0.1\"} 655\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\",le=\"1\"} 690\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\",le=\"10\"} 691\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\",le=\"60\"} 691\n"
    "mongoproxy_response_latency_seconds_bucket{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\",le=\"+Inf\"} 691\n"
    "mongoproxy_response_latency_seconds_sum{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\"} 24.117\n"
    "mongoproxy_response_latency_seconds_count{client=\"10.12.7.2\",app=\"dispatch\",op=\"update\",collection=\"robots\",db=\"fleet\",replicaset=\"rs0\",server=\"10.12.0.5:27017\",username=\"dispatch\"} 691\n"
    "# HELP mongoproxy_documents_returned_total Number of documents returned in the response\n"
    "# TYPE mongoproxy_documents_returned_total histogram\n"
    "mongoproxy_documents_returned_total_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",le=\"1\"} 9120\n"
    "mongoproxy_documents_returned_total_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",le=\"10\"} 9990\n"
    "mongoproxy_documents_returned_total_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",le=\"100\"} 10024\n"
    "mongoproxy_documents_returned_total_bucket{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",le=\"+Inf\"} 10024\n"
    "mongoproxy_documents_returned_total_sum{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\"} 14388\n"
    "mongoproxy_documents_returned_total_count{client=\"10.12.4.31\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\"} 10024\n"
    "# HELP mongoproxy_server_response_errors_total Number of error responses from the server\n"
    "# TYPE mongoproxy_server_response_errors_total counter\n"
    "mongoproxy_server_response_errors_total{app=\"dispatch\",op=\"update\"} 3\n");

// percona mongodb_exporter (v0.3x, "compatible" names off): everything untyped.
const QByteArray kPercona = QByteArrayLiteral(
    "# HELP mongodb_ss_opLatencies_latency serverStatus.opLatencies.\n"
    "# TYPE mongodb_ss_opLatencies_latency untyped\n"
    "mongodb_ss_opLatencies_latency{cl_id=\"\",cl_role=\"\",op_type=\"commands\",rs_nm=\"rs0\",rs_state=\"1\"} 2.3101984e+07\n"
    "mongodb_ss_opLatencies_latency{cl_id=\"\",cl_role=\"\",op_type=\"reads\",rs_nm=\"rs0\",rs_state=\"1\"} 4.8301377e+07\n"
    "mongodb_ss_opLatencies_latency{cl_id=\"\",cl_role=\"\",op_type=\"transactions\",rs_nm=\"rs0\",rs_state=\"1\"} 0\n"
    "mongodb_ss_opLatencies_latency{cl_id=\"\",cl_role=\"\",op_type=\"writes\",rs_nm=\"rs0\",rs_state=\"1\"} 9.125e+06\n"
    "# HELP mongodb_ss_opLatencies_ops serverStatus.opLatencies.\n"
    "# TYPE mongodb_ss_opLatencies_ops untyped\n"
    "mongodb_ss_opLatencies_ops{cl_id=\"\",cl_role=\"\",op_type=\"reads\",rs_nm=\"rs0\",rs_state=\"1\"} 602219\n"
    "# HELP mongodb_ss_connections serverStatus.connections.\n"
    "# TYPE mongodb_ss_connections untyped\n"
    "mongodb_ss_connections{cl_id=\"\",cl_role=\"\",conn_type=\"active\",rs_nm=\"rs0\",rs_state=\"1\"} 14\n"
    "mongodb_ss_connections{cl_id=\"\",cl_role=\"\",conn_type=\"current\",rs_nm=\"rs0\",rs_state=\"1\"} 87\n"
    "# HELP mongodb_mongod_replset_member_replication_lag The replication lag that this member has with the primary.\n"
    "# TYPE mongodb_mongod_replset_member_replication_lag gauge\n"
    "mongodb_mongod_replset_member_replication_lag{name=\"mongo-1.mongo:27017\",set=\"rs0\",state=\"SECONDARY\"} 2\n"
    "mongodb_up 1\n");

const Family *findFamily(const Exposition &exposition, const char *name)
{
    for (const Family &family : exposition.families) {
        if (family.name == name)
            return &family;
    }
    return nullptr;
}

QString describe(const std::vector<ParseError> &errors)
{
    QString out;
    for (const ParseError &error : errors)
        out += QString::number(error.line) + QStringLiteral(": ") + error.message + QLatin1Char('\n');
    return out;
}

// What every parse must give, whatever the input.
void checkInvariants(const Exposition &exposition)
{
    QVERIFY(exposition.errors.size() <= std::size_t(kMaxParseErrors) + 1);
    for (const ParseError &error : exposition.errors)
        QVERIFY(error.line >= 1);
    for (const Family &family : exposition.families) {
        QVERIFY(!family.name.isEmpty());
        for (const Sample &sample : family.samples) {
            QVERIFY(!sample.name.isEmpty());
            QVERIFY(sample.name.startsWith(family.name));
            for (std::size_t i = 1; i < sample.labels.size(); ++i)
                QVERIFY(sample.labels[i - 1].first < sample.labels[i].first);
        }
    }
}

}  // namespace

class TestExposition : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mongoproxy()
    {
        const Exposition exposition = parseExposition(kMongoproxy);
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.size(), std::size_t(4));
        QCOMPARE(exposition.families[0].name, QByteArray("mongoproxy_client_connections_established_total"));
        QCOMPARE(exposition.families[0].type, MetricType::Counter);
        QCOMPARE(exposition.families[0].samples.at(0).value, 1423.0);

        const Family *latency = findFamily(exposition, "mongoproxy_response_latency_seconds");
        QVERIFY(latency);
        QCOMPARE(latency->type, MetricType::Histogram);
        QCOMPARE(latency->help, QByteArray("Backend response latency"));
        QCOMPARE(latency->samples.size(), std::size_t(18));
        const Sample &bucket = latency->samples[1];
        QCOMPARE(bucket.name, QByteArray("mongoproxy_response_latency_seconds_bucket"));
        QCOMPARE(bucket.value, 8713.0);
        QVERIFY(!bucket.timestampMs);
        // Sorted by name, so `le` moved from last to between db and op.
        const Labels expected{{"app", "courier-api"}, {"client", "10.12.4.31"}, {"collection", "deliveries"},
                              {"db", "fleet"},        {"le", "0.01"},           {"op", "find"},
                              {"replicaset", "rs0"},  {"server", "10.12.0.5:27017"}, {"username", "courier"}};
        QCOMPARE(bucket.labels, expected);
        QCOMPARE(labelAsDouble(bucket.labels, "le"), std::optional<double>(0.01));
        QCOMPARE(labelAsDouble(latency->samples[6].labels, "le"), std::optional<double>(std::numeric_limits<double>::infinity()));
        QCOMPARE(latency->samples[7].name, QByteArray("mongoproxy_response_latency_seconds_sum"));
        QCOMPARE(latency->samples[7].value, 61.40200000000117);
        QCOMPARE(latency->samples[8].name, QByteArray("mongoproxy_response_latency_seconds_count"));
        QCOMPARE(*findLabel(latency->samples[17].labels, "username"), QByteArray("dispatch"));
        QVERIFY(!findLabel(latency->samples[17].labels, "le"));

        const Family *documents = findFamily(exposition, "mongoproxy_documents_returned_total");
        QVERIFY(documents);
        QCOMPARE(documents->type, MetricType::Histogram);
        QCOMPARE(documents->samples.size(), std::size_t(6));
        const Family *errors = findFamily(exposition, "mongoproxy_server_response_errors_total");
        QVERIFY(errors);
        QCOMPARE(errors->samples.at(0).labels, (Labels{{"app", "dispatch"}, {"op", "update"}}));
    }

    void percona()
    {
        const Exposition exposition = parseExposition(kPercona);
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.size(), std::size_t(5));
        const Family *latency = findFamily(exposition, "mongodb_ss_opLatencies_latency");
        QVERIFY(latency);
        QCOMPARE(latency->type, MetricType::Untyped);
        QCOMPARE(latency->help, QByteArray("serverStatus.opLatencies."));
        QCOMPARE(latency->samples.size(), std::size_t(4));
        QCOMPARE(*findLabel(latency->samples[1].labels, "op_type"), QByteArray("reads"));
        QCOMPARE(latency->samples[1].value, 48301377.0);
        QCOMPARE(latency->samples[3].value, 9125000.0);
        QCOMPARE(*findLabel(latency->samples[1].labels, "cl_id"), QByteArray(""));
        const Family *lag = findFamily(exposition, "mongodb_mongod_replset_member_replication_lag");
        QVERIFY(lag);
        QCOMPARE(lag->type, MetricType::Gauge);
        QCOMPARE(lag->samples.at(0).value, 2.0);
        const Family *up = findFamily(exposition, "mongodb_up");
        QVERIFY(up);
        QCOMPARE(up->type, MetricType::Untyped);
        QVERIFY(up->help.isEmpty());
        QVERIFY(up->samples.at(0).labels.empty());
    }

    void labelEscapes_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QByteArray>("value");
        QTest::newRow("quote") << QByteArray("x{v=\"say \\\"hi\\\"\"} 1") << QByteArray("say \"hi\"");
        QTest::newRow("backslash") << QByteArray("x{v=\"C:\\\\temp\"} 1") << QByteArray("C:\\temp");
        QTest::newRow("newline") << QByteArray("x{v=\"a\\nb\"} 1") << QByteArray("a\nb");
        QTest::newRow("backslash then n") << QByteArray("x{v=\"a\\\\nb\"} 1") << QByteArray("a\\nb");
        QTest::newRow("all at the end") << QByteArray("x{v=\"\\\\\\\"\\n\"} 1") << QByteArray("\\\"\n");
        QTest::newRow("empty") << QByteArray("x{v=\"\"} 1") << QByteArray();
        QTest::newRow("braces and commas") << QByteArray("x{v=\"{a=\\\"b\\\",c}\"} 1") << QByteArray("{a=\"b\",c}");
        QTest::newRow("utf-8") << QByteArray("x{v=\"K\xc3\xb6rber \xe2\x86\x92 \xf0\x9f\xa4\x96\"} 1")
                               << QByteArray("K\xc3\xb6rber \xe2\x86\x92 \xf0\x9f\xa4\x96");
        QTest::newRow("invalid utf-8 kept as bytes") << QByteArray("x{v=\"\xff\xfe\xc3\"} 1") << QByteArray("\xff\xfe\xc3");
        QTest::newRow("NUL byte") << QByteArray("x{v=\"a\0b\"} 1", 12) << QByteArray("a\0b", 3);
    }

    void labelEscapes()
    {
        QFETCH(QByteArray, line);
        QFETCH(QByteArray, value);
        const Exposition exposition = parseExposition(line + '\n');
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.size(), std::size_t(1));
        const Sample &sample = exposition.families[0].samples.at(0);
        QCOMPARE(sample.labels.size(), std::size_t(1));
        QCOMPARE(sample.labels[0].second, value);
        QCOMPARE(sample.value, 1.0);
    }

    void helpEscapes_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QByteArray>("help");
        QTest::newRow("plain") << QByteArray("# HELP x Requests served.") << QByteArray("Requests served.");
        QTest::newRow("backslash") << QByteArray("# HELP x a\\\\b") << QByteArray("a\\b");
        QTest::newRow("newline") << QByteArray("# HELP x line one\\nline two") << QByteArray("line one\nline two");
        // Quotes are not escaped in HELP; an unknown escape stays as written.
        QTest::newRow("quote and unknown escape") << QByteArray("# HELP x say \"hi\" \\t") << QByteArray("say \"hi\" \\t");
        QTest::newRow("trailing backslash") << QByteArray("# HELP x ends with \\") << QByteArray("ends with \\");
        QTest::newRow("empty") << QByteArray("# HELP x") << QByteArray();
        QTest::newRow("tabs between tokens") << QByteArray("#\tHELP\tx\tdoc") << QByteArray("doc");
    }

    void helpEscapes()
    {
        QFETCH(QByteArray, line);
        QFETCH(QByteArray, help);
        const Exposition exposition = parseExposition(line + "\nx 1\n");
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.size(), std::size_t(1));
        QCOMPARE(exposition.families[0].help, help);
        QCOMPARE(exposition.families[0].samples.size(), std::size_t(1));
    }

    void commentsIgnored()
    {
        const Exposition exposition = parseExposition("# just a comment\n#HELP x not a help line\n"
                                                      "# TYPEX x counter\n#\n   # indented comment\n\nx 1\n");
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.size(), std::size_t(1));
        QVERIFY(exposition.families[0].help.isEmpty());
        QCOMPARE(exposition.families[0].type, MetricType::Untyped);
    }

    void values_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<std::optional<double>>("value");
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("integer") << QByteArray("42") << std::optional<double>(42);
        QTest::newRow("negative") << QByteArray("-3.5") << std::optional<double>(-3.5);
        QTest::newRow("plus sign") << QByteArray("+7") << std::optional<double>(7);
        QTest::newRow("leading dot") << QByteArray(".25") << std::optional<double>(0.25);
        QTest::newRow("exponent") << QByteArray("1.5e3") << std::optional<double>(1500);
        QTest::newRow("upper exponent, negative") << QByteArray("-2E-3") << std::optional<double>(-0.002);
        QTest::newRow("exponent with plus") << QByteArray("2.3101984e+07") << std::optional<double>(23101984);
        QTest::newRow("+Inf") << QByteArray("+Inf") << std::optional<double>(inf);
        QTest::newRow("-Inf") << QByteArray("-Inf") << std::optional<double>(-inf);
        QTest::newRow("Inf") << QByteArray("Inf") << std::optional<double>(inf);
        QTest::newRow("inf lower case") << QByteArray("inf") << std::optional<double>(inf);
        QTest::newRow("Infinity") << QByteArray("-Infinity") << std::optional<double>(-inf);
        QTest::newRow("underflow is zero") << QByteArray("1e-400") << std::optional<double>(0);
        QTest::newRow("overflow") << QByteArray("1e400") << std::optional<double>();
        QTest::newRow("two dots") << QByteArray("1.2.3") << std::optional<double>();
        QTest::newRow("hex") << QByteArray("0x10") << std::optional<double>();
        QTest::newRow("dangling exponent") << QByteArray("1e") << std::optional<double>();
        QTest::newRow("sign only") << QByteArray("-") << std::optional<double>();
        QTest::newRow("empty") << QByteArray() << std::optional<double>();
        QTest::newRow("word") << QByteArray("many") << std::optional<double>();
        QTest::newRow("nan with payload") << QByteArray("nan(1)") << std::optional<double>();
        QTest::newRow("double sign") << QByteArray("+-1") << std::optional<double>();
        QTest::newRow("trailing garbage") << QByteArray("12abc") << std::optional<double>();
    }

    void values()
    {
        QFETCH(QByteArray, text);
        QFETCH(std::optional<double>, value);
        QCOMPARE(parseValue(text), value);
        const Exposition exposition = parseExposition("x " + text + '\n');
        if (value) {
            QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
            QCOMPARE(exposition.families.at(0).samples.at(0).value, *value);
        } else {
            QCOMPARE(exposition.errors.size(), std::size_t(1));
            QCOMPARE(exposition.errors[0].line, 1);
            QVERIFY(exposition.families.empty());
        }
    }

    void nan()
    {
        for (const char *text : {"NaN", "nan", "-NaN", "+nan"})
            QVERIFY2(parseValue(text) && std::isnan(*parseValue(text)), text);
        const Exposition exposition = parseExposition("x NaN\n");
        QVERIFY(exposition.errors.empty());
        QVERIFY(std::isnan(exposition.families.at(0).samples.at(0).value));
    }

    void timestamps_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<std::optional<qint64>>("timestamp");
        QTest::addColumn<bool>("valid");
        QTest::newRow("none") << QByteArray("x 1") << std::optional<qint64>() << true;
        QTest::newRow("ms since epoch") << QByteArray("x 1 1700000000123") << std::optional<qint64>(1700000000123) << true;
        QTest::newRow("negative") << QByteArray("x{a=\"b\"} 1 -5") << std::optional<qint64>(-5) << true;
        QTest::newRow("plus") << QByteArray("x 1 +7") << std::optional<qint64>(7) << true;
        QTest::newRow("trailing blanks") << QByteArray("x 1 15 \t ") << std::optional<qint64>(15) << true;
        QTest::newRow("fraction") << QByteArray("x 1 1.5") << std::optional<qint64>() << false;
        QTest::newRow("word") << QByteArray("x 1 now") << std::optional<qint64>() << false;
        QTest::newRow("overflow") << QByteArray("x 1 99999999999999999999") << std::optional<qint64>() << false;
        QTest::newRow("text after") << QByteArray("x 1 15 16") << std::optional<qint64>() << false;
    }

    void timestamps()
    {
        QFETCH(QByteArray, line);
        QFETCH(std::optional<qint64>, timestamp);
        QFETCH(bool, valid);
        const Exposition exposition = parseExposition(line + '\n');
        if (!valid) {
            QCOMPARE(exposition.errors.size(), std::size_t(1));
            QVERIFY(exposition.families.empty());
            return;
        }
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.at(0).samples.at(0).timestampMs, timestamp);
        QCOMPARE(exposition.families.at(0).samples.at(0).value, 1.0);
    }

    void summaryAndUntyped()
    {
        const Exposition exposition = parseExposition(
            "# HELP rpc_duration_seconds RPC latency.\n"
            "# TYPE rpc_duration_seconds summary\n"
            "rpc_duration_seconds{quantile=\"0.5\"} 0.012\n"
            "rpc_duration_seconds{quantile=\"0.99\"} 0.2\n"
            "rpc_duration_seconds_sum 17.5\n"
            "rpc_duration_seconds_count 1000\n"
            "rpc_duration_seconds_bucket{le=\"1\"} 3\n"  // a summary has no buckets: a family of its own
            "queue_length_count 4\n"                     // no family `queue_length`: its own
            "queue_length_count 5\n");
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.size(), std::size_t(3));
        const Family &summary = exposition.families[0];
        QCOMPARE(summary.type, MetricType::Summary);
        QCOMPARE(summary.samples.size(), std::size_t(4));
        QCOMPARE(labelAsDouble(summary.samples[1].labels, "quantile"), std::optional<double>(0.99));
        QCOMPARE(summary.samples[3].name, QByteArray("rpc_duration_seconds_count"));
        QCOMPARE(summary.samples[3].value, 1000.0);
        QCOMPARE(exposition.families[1].name, QByteArray("rpc_duration_seconds_bucket"));
        QCOMPARE(exposition.families[1].type, MetricType::Untyped);
        QCOMPARE(exposition.families[2].name, QByteArray("queue_length_count"));
        QCOMPARE(exposition.families[2].samples.size(), std::size_t(2));
    }

    void counterNamedLikeHistogramPart()
    {
        // x_count belongs to histogram x only when x is one; a TYPE'd counter keeps its own samples.
        const Exposition exposition = parseExposition("# TYPE jobs_count counter\njobs_count 3\n"
                                                      "# TYPE jobs gauge\njobs 1\njobs_sum 2\n");
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.size(), std::size_t(3));
        QCOMPARE(exposition.families[0].type, MetricType::Counter);
        QCOMPARE(exposition.families[0].samples.size(), std::size_t(1));
        QCOMPARE(exposition.families[1].samples.size(), std::size_t(1));
        QCOMPARE(exposition.families[2].name, QByteArray("jobs_sum"));
    }

    void blanksTrailingCommaCrLf()
    {
        const Exposition exposition = parseExposition("  x{a=\"1\",} 1\n"
                                                      "x { a = \"2\" ,\tb=\"3\" , } 2 \t\n"
                                                      "x{} 3\r\n"
                                                      "x\t4\n"
                                                      "x{a=\"5\"}5");  // no final newline
        QVERIFY2(exposition.errors.empty(), qPrintable(describe(exposition.errors)));
        QCOMPARE(exposition.families.size(), std::size_t(1));
        const auto &samples = exposition.families[0].samples;
        QCOMPARE(samples.size(), std::size_t(5));
        QCOMPARE(samples[0].labels, (Labels{{"a", "1"}}));
        QCOMPARE(samples[1].labels, (Labels{{"a", "2"}, {"b", "3"}}));
        QCOMPARE(samples[1].value, 2.0);
        QVERIFY(samples[2].labels.empty());
        QCOMPARE(samples[2].value, 3.0);
        QCOMPARE(samples[3].value, 4.0);
        QCOMPARE(samples[4].value, 5.0);
    }

    void malformedLine_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("reason");
        QTest::newRow("unquoted label value") << QByteArray("x{a=b} 1") << QStringLiteral("expected '\"'");
        QTest::newRow("missing =") << QByteArray("x{a \"b\"} 1") << QStringLiteral("expected '='");
        QTest::newRow("unterminated quote") << QByteArray("x{a=\"b} 1") << QStringLiteral("unterminated value of label a");
        QTest::newRow("unterminated label set") << QByteArray("x{a=\"b\"") << QStringLiteral("unterminated label set");
        QTest::newRow("unterminated after comma") << QByteArray("x{a=\"b\",") << QStringLiteral("unterminated label set");
        QTest::newRow("missing comma") << QByteArray("x{a=\"1\" b=\"2\"} 1") << QStringLiteral("expected ',' or '}'");
        QTest::newRow("double comma") << QByteArray("x{a=\"1\",,b=\"2\"} 1") << QStringLiteral("invalid label name");
        QTest::newRow("label name with digit first") << QByteArray("x{1a=\"1\"} 1") << QStringLiteral("invalid label name");
        QTest::newRow("label name with colon") << QByteArray("x{a:b=\"1\"} 1") << QStringLiteral("expected '='");
        QTest::newRow("invalid escape") << QByteArray("x{a=\"\\t\"} 1") << QStringLiteral("invalid escape");
        QTest::newRow("escape at end of line") << QByteArray("x{a=\"\\") << QStringLiteral("unterminated value");
        QTest::newRow("duplicate label name") << QByteArray("x{b=\"1\",a=\"2\",b=\"3\"} 1") << QStringLiteral("duplicate label name b");
        QTest::newRow("bad number") << QByteArray("x 1,5") << QStringLiteral("invalid value");
        QTest::newRow("missing value") << QByteArray("x{a=\"1\"}") << QStringLiteral("missing value");
        QTest::newRow("name only") << QByteArray("lonely_metric") << QStringLiteral("missing value");
        QTest::newRow("name starting with digit") << QByteArray("1x 2") << QStringLiteral("invalid metric name");
        QTest::newRow("dash in name") << QByteArray("x-y 1") << QStringLiteral("invalid metric name");
        QTest::newRow("quote as name") << QByteArray("\"x\" 1") << QStringLiteral("invalid metric name");
        QTest::newRow("unknown type") << QByteArray("# TYPE y countr") << QStringLiteral("unknown metric type");
        QTest::newRow("type with extra word") << QByteArray("# TYPE y counter total") << QStringLiteral("unknown metric type");
        QTest::newRow("type without name") << QByteArray("# TYPE") << QStringLiteral("invalid metric name");
        QTest::newRow("help with bad name") << QByteArray("# HELP 9y doc") << QStringLiteral("invalid metric name");
    }

    // One bad line among good ones: reported with its line number, the good lines all kept.
    void malformedLine()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, reason);
        const Exposition exposition =
            parseExposition("# TYPE good counter\ngood{k=\"v\"} 1\n" + line + "\ngood{k=\"w\"} 2\nother 3\n");
        QCOMPARE(exposition.errors.size(), std::size_t(1));
        QCOMPARE(exposition.errors[0].line, 3);
        QVERIFY2(exposition.errors[0].message.contains(reason), qPrintable(exposition.errors[0].message));
        const Family *good = findFamily(exposition, "good");
        QVERIFY(good);
        QCOMPARE(good->samples.size(), std::size_t(2));
        QCOMPARE(good->samples[1].value, 2.0);
        const Family *other = findFamily(exposition, "other");
        QVERIFY(other);
        QCOMPARE(other->samples.at(0).value, 3.0);
    }

    void familyRuleErrors()
    {
        const Exposition exposition = parseExposition(
            "# TYPE lat histogram\n"                 // 1
            "lat_bucket{le=\"0.1\"} 1\n"             // 2
            "lat_bucket{op=\"find\"} 2\n"            // 3: no le
            "lat_bucket{le=\"fast\"} 2\n"            // 4: le not a number
            "lat 7\n"                                // 5: a histogram has no bare samples
            "lat_bucket{le=\"+Inf\"} 3\n"            // 6
            "# TYPE lat summary\n"                   // 7: second TYPE
            "# HELP lat first\n"                     // 8
            "# HELP lat second\n"                    // 9: second HELP
            "late 1\n"                               // 10
            "# TYPE late counter\n"                  // 11: TYPE after samples
            "lat_count 3\n");                        // 12
        QStringList lines;
        for (const ParseError &error : exposition.errors)
            lines << QString::number(error.line);
        QCOMPARE(lines.join(QLatin1Char(',')), QStringLiteral("3,4,5,7,9,11"));
        QVERIFY(exposition.errors[1].message.contains(QStringLiteral("le")));
        QVERIFY(exposition.errors[3].message.contains(QStringLiteral("duplicate TYPE")));
        QVERIFY(exposition.errors[5].message.contains(QStringLiteral("TYPE after samples of late")));
        const Family *lat = findFamily(exposition, "lat");
        QVERIFY(lat);
        QCOMPARE(lat->type, MetricType::Histogram);
        QCOMPARE(lat->help, QByteArray("first"));
        QCOMPARE(lat->samples.size(), std::size_t(3));
        QCOMPARE(lat->samples[2].name, QByteArray("lat_count"));
        QCOMPARE(findFamily(exposition, "late")->type, MetricType::Untyped);
    }

    void tooManyErrors()
    {
        QByteArray text;
        for (int i = 0; i < 500; ++i)
            text += "broken{\n";
        text += "survivor 42\n";
        const Exposition exposition = parseExposition(text);
        QCOMPARE(exposition.errors.size(), std::size_t(kMaxParseErrors) + 1);
        QCOMPARE(exposition.errors[kMaxParseErrors - 1].line, kMaxParseErrors);
        QCOMPARE(exposition.errors.back().line, kMaxParseErrors + 1);
        QVERIFY(exposition.errors.back().message.contains(QStringLiteral("too many errors")));
        QCOMPARE(exposition.families.size(), std::size_t(1));
        QCOMPARE(exposition.families[0].samples.at(0).value, 42.0);
    }

    void garbage_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("only newlines") << QByteArray(1000, '\n');
        QTest::newRow("only blanks") << QByteArray(" \t \t");
        QTest::newRow("long line without newline") << QByteArray(1 << 20, 'a');
        QTest::newRow("long label value without end") << QByteArray("x{a=\"" + QByteArray(1 << 20, 'v'));
        QTest::newRow("many labels without end") << QByteArray("x{" + QByteArray("a=\"1\",").repeated(50000));
        QTest::newRow("deep braces") << QByteArray(QByteArray(100000, '{') + QByteArray(100000, '}'));
        QTest::newRow("NUL bytes") << QByteArray(4096, '\0');
        QTest::newRow("NUL in name") << QByteArray("x\0y 1\n", 6);
        QTest::newRow("lone brace") << QByteArray("{");
        QTest::newRow("hash only") << QByteArray("#");
        QTest::newRow("HELP at end") << QByteArray("# HELP");
        QTest::newRow("backslashes") << QByteArray(5000, '\\');
        QTest::newRow("quotes") << QByteArray(5000, '"');
        QTest::newRow("invalid utf-8 everywhere") << QByteArray("\xff\xfe\x80 \xc3{\xe2=\"\x80\"} \xf0\n# HELP x \xff\n");
        QByteArray random;
        QRandomGenerator generator(20240601);
        for (int i = 0; i < 1 << 16; ++i)
            random += char(generator.bounded(256));
        QTest::newRow("random bytes") << random;
        QByteArray alphabet;
        const QByteArray tokens = "x{}=\",\\n \t#\n.e+-Inf";
        for (int i = 0; i < 1 << 16; ++i)
            alphabet += tokens.at(generator.bounded(int(tokens.size())));
        QTest::newRow("random format characters") << alphabet;
    }

    void garbage()
    {
        QFETCH(QByteArray, text);
        const Exposition exposition = parseExposition(text);
        checkInvariants(exposition);
    }

    // Small random edits of a real exposition: the parse keeps every line it can and never breaks.
    void mutatedRealText()
    {
        QRandomGenerator generator(7);
        const QByteArray interesting = "{}=\",\\\n #\0\xff";
        for (int round = 0; round < 2000; ++round) {
            QByteArray text = kMongoproxy + kPercona;
            const int edits = 1 + int(generator.bounded(4));
            for (int e = 0; e < edits; ++e) {
                const auto at = qsizetype(generator.bounded(int(text.size())));
                const char c = generator.bounded(2) ? interesting.at(generator.bounded(int(interesting.size())))
                                                    : char(generator.bounded(256));
                switch (generator.bounded(3)) {
                case 0:
                    text[at] = c;
                    break;
                case 1:
                    text.insert(at, c);
                    break;
                default:
                    text.remove(at, 1 + qsizetype(generator.bounded(20)));
                    break;
                }
            }
            const Exposition exposition = parseExposition(text);
            checkInvariants(exposition);
            if (QTest::currentTestFailed())
                QFAIL(qPrintable(QStringLiteral("round %1").arg(round)));
            // An edit breaks at most the three lines it can merge: the other 32 of the 35 samples survive.
            std::size_t samples = 0;
            for (const Family &family : exposition.families)
                samples += family.samples.size();
            QVERIFY2(samples + 3 * std::size_t(edits) >= 35, qPrintable(QStringLiteral("round %1: %2 samples").arg(round).arg(samples)));
        }
    }

    void helpers()
    {
        const Labels labels{{"le", "0.5"}, {"quantile", "+Inf"}, {"x", "abc"}};
        QCOMPARE(labelAsDouble(labels, "le"), std::optional<double>(0.5));
        QCOMPARE(labelAsDouble(labels, "quantile"), std::optional<double>(std::numeric_limits<double>::infinity()));
        QCOMPARE(labelAsDouble(labels, "x"), std::optional<double>());
        QCOMPARE(labelAsDouble(labels, "missing"), std::optional<double>());
        QVERIFY(!findLabel(labels, "l"));
        QCOMPARE(*findLabel(labels, "x"), QByteArray("abc"));
    }

    // A megabyte of mongoproxy-like text: counts checked, time printed (never a pass/fail criterion).
    void megabyte()
    {
        QByteArray text = "# HELP mongoproxy_response_latency_seconds Backend response latency\n"
                          "# TYPE mongoproxy_response_latency_seconds histogram\n";
        int series = 0;
        const char *bounds[] = {"0.001", "0.01", "0.1", "1", "10", "60", "+Inf"};
        while (text.size() < (1 << 20)) {
            const QByteArray labels = "client=\"10.1." + QByteArray::number(series / 250) + '.' + QByteArray::number(series % 250)
                + "\",app=\"courier-api\",op=\"find\",collection=\"deliveries\",db=\"fleet\",replicaset=\"rs0\","
                  "server=\"10.12.0.5:27017\",username=\"courier\"";
            for (int b = 0; b < 7; ++b)
                text += "mongoproxy_response_latency_seconds_bucket{" + labels + ",le=\"" + bounds[b] + "\"} "
                    + QByteArray::number(100 * b) + '\n';
            text += "mongoproxy_response_latency_seconds_sum{" + labels + "} 12.5\n";
            text += "mongoproxy_response_latency_seconds_count{" + labels + "} 600\n";
            ++series;
        }
        QElapsedTimer timer;
        timer.start();
        const Exposition exposition = parseExposition(text);
        const qint64 elapsed = timer.nsecsElapsed();
        QVERIFY(exposition.errors.empty());
        QCOMPARE(exposition.families.size(), std::size_t(1));
        QCOMPARE(exposition.families[0].samples.size(), std::size_t(series) * 9);
        qInfo("parsed %lld bytes (%d series) in %.2f ms", qlonglong(text.size()), series, double(elapsed) / 1e6);
    }
};

QTEST_GUILESS_MAIN(TestExposition)
#include "tst_exposition.moc"
