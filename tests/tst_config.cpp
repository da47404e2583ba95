// fleetdeckd's configuration: defaults < file < environment < flags for every kind of value, an error
// naming the key and where it was set for every kind of mistake, secrets masked, the committed example
// file equal to the one generated from the schema, and the real binary's --print-config and exit code.

#include "config.h"
#include "daemonconfig.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace fleetdeck;
using config::Origin;

namespace {

QProcessEnvironment environmentOf(const QStringList &pairs)
{
    QProcessEnvironment environment;
    for (const QString &pair : pairs) {
        const qsizetype eq = pair.indexOf(QLatin1Char('='));
        environment.insert(pair.left(eq), pair.mid(eq + 1));
    }
    return environment;
}

using Entries = QMap<QString, QString>;

Entries entriesOf(const QVariant &value)
{
    return value.value<Entries>();
}

// Every error of a start-up: the layers', then the rules across keys.
QStringList errorsOf(const config::Loaded &loaded)
{
    QStringList errors = loaded.errors;
    if (errors.isEmpty())
        (void)config::daemonConfig(loaded.values, &errors);
    return errors;
}

// The environment of the real binary: this one without any FLEETDECKD_ variable, plus `pairs`.
QProcessEnvironment processEnvironment(const QStringList &pairs)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString &name : environment.keys()) {
        if (name.startsWith(QLatin1String("FLEETDECKD_")))
            environment.remove(name);
    }
    const QProcessEnvironment extra = environmentOf(pairs);
    for (const QString &name : extra.keys())
        environment.insert(name, extra.value(name));
    return environment;
}

}  // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void precedence_data();
    void precedence();
    void mapEntriesMergeAcrossLayers();
    void listValues();
    void flagForms();
    void errors_data();
    void errors();
    void kubernetesServiceLinksAreIgnored();
    void secretsAreMasked();
    void printedConfigShowsSourcesAndReadsBack();
    void quotingCommentsAndLineEndings();
    void relativePathsFollowTheConfigFile();
    void committedExampleIsCurrent();
    void exampleLoadsAsDefaults();
    void binaryPrintsConfig();
    void binaryPrintsDefaultConfig();
    void binaryRejectsBadConfig_data();
    void binaryRejectsBadConfig();

private:
    // `text` written as a file in the test's directory; its path.
    QString writeFile(const QString &name, const QByteArray &text);
    config::Loaded load(const QByteArray &fileText, const QStringList &environment, QStringList arguments);
    QString runBinary(const QStringList &arguments, const QStringList &environment, int *exitCode, QString *errors);

    QTemporaryDir m_dir;
};

void TestConfig::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

QString TestConfig::writeFile(const QString &name, const QByteArray &text)
{
    const QString path = m_dir.filePath(name);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    file.write(text);
    return path;
}

config::Loaded TestConfig::load(const QByteArray &fileText, const QStringList &environment, QStringList arguments)
{
    if (!fileText.isNull())
        arguments = QStringList{QStringLiteral("--config"), writeFile(QStringLiteral("fleetdeckd.conf"), fileText)} + arguments;
    return config::load(config::daemonSchema(), arguments, environmentOf(environment));
}

QString TestConfig::runBinary(const QStringList &arguments, const QStringList &environment, int *exitCode, QString *errors)
{
    QProcess process;
    process.setProcessEnvironment(processEnvironment(environment));
    process.start(QStringLiteral(FLEETDECKD_BINARY), arguments);
    if (!process.waitForFinished(20'000)) {
        process.kill();
        process.waitForFinished();
        *exitCode = -1;
    } else {
        *exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    }
    *errors = QString::fromUtf8(process.readAllStandardError());
    return QString::fromUtf8(process.readAllStandardOutput());
}

void TestConfig::precedence_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<int>("origin");

    struct Layers {
        const char *key;
        const char *defaultValue;
        const char *file;  // the line under the key's section
        const char *fileValue;
        const char *environment;
        const char *environmentValue;
        QStringList flags;
        const char *flagValue;
    };
    const Layers layers[] = {
        {"server.port", "8765", "[server]\nport = 9001\n", "9001", "FLEETDECKD_SERVER_PORT=9002", "9002",
         {QStringLiteral("--port"), QStringLiteral("9003")}, "9003"},
        {"demo.enabled", "false", "[demo]\nenabled = yes\n", "true", "FLEETDECKD_DEMO_ENABLED=off", "false",
         {QStringLiteral("--demo")}, "true"},
        {"log.format", "text", "[log]\nformat = json\n", "json", "FLEETDECKD_LOG_FORMAT=text", "text",
         {QStringLiteral("--log-format=json")}, "json"},
        {"teleop.admins", "", "[teleop]\nadmins = ann, bob\n", "ann, bob", "FLEETDECKD_TELEOP_ADMINS=cy", "cy",
         {QStringLiteral("--admins"), QStringLiteral("dee"), QStringLiteral("--admins=eve,fay")}, "dee, eve, fay"},
        {"infra.prometheus_url", "", "[infra]\nprometheus_url = http://file:9090\n", "http://file:9090",
         "FLEETDECKD_INFRA_PROMETHEUS_URL=https://env:9090/prom", "https://env:9090/prom",
         {QStringLiteral("--prometheus"), QStringLiteral("http://flag:9090")}, "http://flag:9090"},
        {"kafka.brokers", "", "kafka.brokers = k1:9092,k2:9092\n", "k1:9092,k2:9092", "FLEETDECKD_KAFKA_BROKERS=env:9092",
         "env:9092", {QStringLiteral("--brokers"), QStringLiteral("flag:9092")}, "flag:9092"},
        {"server.listen", "127.0.0.1", "[server]\nlisten = 0.0.0.0\n", "0.0.0.0", "FLEETDECKD_SERVER_LISTEN=::", "::",
         {QStringLiteral("--listen"), QStringLiteral("::1")}, "::1"},
    };
    for (const Layers &l : layers) {
        const QString key = QString::fromUtf8(l.key);
        const QStringList environment{QString::fromUtf8(l.environment)};
        QTest::addRow("%s: default", l.key) << key << QByteArray() << QStringList() << QStringList()
                                            << QString::fromUtf8(l.defaultValue) << int(Origin::Default);
        QTest::addRow("%s: file over default", l.key) << key << QByteArray(l.file) << QStringList() << QStringList()
                                                      << QString::fromUtf8(l.fileValue) << int(Origin::File);
        QTest::addRow("%s: environment over file", l.key) << key << QByteArray(l.file) << environment << QStringList()
                                                          << QString::fromUtf8(l.environmentValue) << int(Origin::Environment);
        QTest::addRow("%s: flag over environment", l.key) << key << QByteArray(l.file) << environment << l.flags
                                                          << QString::fromUtf8(l.flagValue) << int(Origin::Flag);
        QTest::addRow("%s: flag over file", l.key) << key << QByteArray(l.file) << QStringList() << l.flags
                                                   << QString::fromUtf8(l.flagValue) << int(Origin::Flag);
    }
}

void TestConfig::precedence()
{
    QFETCH(QString, key);
    QFETCH(QByteArray, file);
    QFETCH(QStringList, environment);
    QFETCH(QStringList, arguments);
    QFETCH(QString, expected);
    QFETCH(int, origin);

    const config::Loaded loaded = load(file, environment, arguments);
    QCOMPARE(loaded.errors, QStringList());
    const config::Setting &setting = loaded.values.setting(key);
    QCOMPARE(config::displayValue(*config::daemonSchema().find(key), setting.value), expected);
    QCOMPARE(int(setting.source.origin), origin);
}

void TestConfig::mapEntriesMergeAcrossLayers()
{
    const config::Loaded loaded =
        load("[kafka.properties]\nsecurity.protocol = SASL_SSL\nsasl.username = file-user\nclient.id = from-file\n",
             {QStringLiteral("FLEETDECKD_KAFKA_PROPERTIES_SASL_USERNAME=env-user"),
              QStringLiteral("FLEETDECKD_KAFKA_PROPERTIES=client.id=from-env, socket.timeout.ms=1000")},
             {QStringLiteral("--kafka-property"), QStringLiteral("sasl.username=flag-user"),
              QStringLiteral("--kafka-property=ssl.cipher.suites=A,B")});
    QCOMPARE(loaded.errors, QStringList());
    const config::Setting &setting = loaded.values.setting(QStringLiteral("kafka.properties"));
    const Entries entries = entriesOf(setting.value);
    const Entries expected{{QStringLiteral("security.protocol"), QStringLiteral("SASL_SSL")},
                                          {QStringLiteral("sasl.username"), QStringLiteral("flag-user")},
                                          {QStringLiteral("client.id"), QStringLiteral("from-env")},
                                          {QStringLiteral("socket.timeout.ms"), QStringLiteral("1000")},
                                          {QStringLiteral("ssl.cipher.suites"), QStringLiteral("A,B")}};  // a flag keeps commas
    QCOMPARE(entries, expected);
    QCOMPARE(setting.entrySources.value(QStringLiteral("security.protocol")).origin, Origin::File);
    QVERIFY(setting.entrySources.value(QStringLiteral("security.protocol")).where.endsWith(QLatin1String("fleetdeckd.conf:2")));
    QCOMPARE(setting.entrySources.value(QStringLiteral("client.id")).where, QStringLiteral("FLEETDECKD_KAFKA_PROPERTIES"));
    QCOMPARE(setting.entrySources.value(QStringLiteral("sasl.username")).where, QStringLiteral("--kafka-property"));

    QStringList errors;
    const std::optional<config::DaemonConfig> daemon = config::daemonConfig(loaded.values, &errors);
    QVERIFY(daemon);
    QCOMPARE(daemon->kafkaSettings().properties, expected);
}

void TestConfig::listValues()
{
    const config::Loaded fromEnvironment =
        load({}, {QStringLiteral("FLEETDECKD_TELEOP_ADMINS= ann , , bob ,"), QStringLiteral("FLEETDECKD_DEMO_ENABLED=1")},
             {QStringLiteral("--incident"), QStringLiteral("standby-backup:60:300"), QStringLiteral("--incident"),
              QStringLiteral("error-burst:10:20:orders/carts,replication-lag:0:30")});
    QCOMPARE(fromEnvironment.errors, QStringList());
    QStringList errors;
    const std::optional<config::DaemonConfig> daemon = config::daemonConfig(fromEnvironment.values, &errors);
    QVERIFY2(daemon, qPrintable(errors.join(QLatin1Char('\n'))));
    QCOMPARE(daemon->admins, (QStringList{QStringLiteral("ann"), QStringLiteral("bob")}));
    QCOMPARE(daemon->incidents, (QStringList{QStringLiteral("standby-backup:60:300"), QStringLiteral("error-burst:10:20:orders/carts"),
                                             QStringLiteral("replication-lag:0:30")}));

    // A list from a higher layer replaces a lower one's rather than adding to it.
    const config::Loaded replaced = load("[teleop]\nadmins = ann, bob\n", {}, {QStringLiteral("--admins"), QStringLiteral("cy")});
    QCOMPARE(replaced.values.value(QStringLiteral("teleop.admins")).toStringList(), QStringList{QStringLiteral("cy")});
}

void TestConfig::flagForms()
{
    const config::Loaded loaded = load({}, {QStringLiteral("FLEETDECKD_DEMO_ENABLED=true")},
                                       {QStringLiteral("--port=1234"), QStringLiteral("--tick-ms"), QStringLiteral("50"),
                                        QStringLiteral("--demo=false"), QStringLiteral("--from-end"), QStringLiteral("--port"),
                                        QStringLiteral("4321")});
    QCOMPARE(loaded.errors, QStringList());
    QCOMPARE(loaded.action, config::Action::Run);
    QCOMPARE(loaded.values.value(QStringLiteral("server.port")).toInt(), 4321);  // the last one wins
    QCOMPARE(loaded.values.value(QStringLiteral("server.tick_ms")).toInt(), 50);
    QCOMPARE(loaded.values.value(QStringLiteral("demo.enabled")).toBool(), false);
    QCOMPARE(loaded.values.value(QStringLiteral("kafka.from_end")).toBool(), true);

    QCOMPARE(load({}, {}, {QStringLiteral("--print-config")}).action, config::Action::PrintConfig);
    QCOMPARE(load({}, {}, {QStringLiteral("--print-default-config")}).action, config::Action::PrintDefaultConfig);
    // --help answers even next to mistakes, and reads no file.
    const config::Loaded help = load({}, {QStringLiteral("FLEETDECKD_NOPE=1")},
                                     {QStringLiteral("--nope"), QStringLiteral("-h"), QStringLiteral("--config=/nonexistent")});
    QCOMPARE(help.action, config::Action::Help);
    QCOMPARE(help.errors, QStringList());
}

void TestConfig::errors_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("expected");  // all in one error line

    const auto s = [](const char *text) { return QString::fromUtf8(text); };
    const auto l = [](std::initializer_list<const char *> texts) {
        QStringList list;
        for (const char *text : texts)
            list.append(QString::fromUtf8(text));
        return list;
    };
    const QByteArray none;

    // In the file: file:line and the key.
    QTest::newRow("file: unknown key") << QByteArray("[server]\nport = 1\nprot = 2\n") << QStringList() << QStringList()
                                       << l({"file ", "fleetdeckd.conf:3: unknown key server.prot"});
    QTest::newRow("file: unknown dotted key") << QByteArray("# top\nserver.prot = 2\n") << QStringList() << QStringList()
                                              << l({"fleetdeckd.conf:2: unknown key server.prot"});
    QTest::newRow("file: unknown section") << QByteArray("[sever]\nport = 1\n") << QStringList() << QStringList()
                                           << l({"fleetdeckd.conf:1: unknown section [sever]"});
    QTest::newRow("file: duplicate key") << QByteArray("[server]\nport = 1\n\nport = 2\n") << QStringList() << QStringList()
                                         << l({"fleetdeckd.conf:4: server.port is set again (first on line 2)"});
    QTest::newRow("file: duplicate map entry")
        << QByteArray("[kafka.properties]\nsasl.password = a\nsasl.password = b\n") << QStringList() << QStringList()
        << l({"fleetdeckd.conf:3: kafka.properties.sasl.password is set again (first on line 2)"});
    QTest::newRow("file: malformed line") << QByteArray("[server]\nport 8765\n") << QStringList() << QStringList()
                                          << l({"fleetdeckd.conf:2: malformed line \"port 8765\": expected key = value or [section]"});
    QTest::newRow("file: unclosed section") << QByteArray("[server\nport = 1\n") << QStringList() << QStringList()
                                            << l({"fleetdeckd.conf:1: malformed line \"[server\""});
    QTest::newRow("file: unbalanced quote") << QByteArray("[server]\nlisten = \"127.0.0.1\n") << QStringList() << QStringList()
                                            << l({"fleetdeckd.conf:2: server.listen: unbalanced double quote"});
    QTest::newRow("file: bad int") << QByteArray("[server]\nport = eighty\n") << QStringList() << QStringList()
                                   << l({"fleetdeckd.conf:2: server.port = \"eighty\": expected a whole number from 0 to 65535"});
    QTest::newRow("file: bad map entry name") << QByteArray("[kafka.properties]\nsasl password = x\n") << QStringList()
                                              << QStringList()
                                              << l({"fleetdeckd.conf:2: kafka.properties entry \"sasl password\""});

    // In the environment: the variable and the key.
    QTest::newRow("env: unknown variable") << none << l({"FLEETDECKD_SERVR_PORT=1"}) << QStringList()
                                           << l({"environment FLEETDECKD_SERVR_PORT: unknown key"});
    QTest::newRow("env: int out of range")
        << none << l({"FLEETDECKD_SERVER_PORT=70000"}) << QStringList()
        << l({"environment FLEETDECKD_SERVER_PORT: server.port = \"70000\": expected a whole number from 0 to 65535"});
    QTest::newRow("env: bad enum") << none << l({"FLEETDECKD_LOG_FORMAT=xml"}) << QStringList()
                                   << l({"environment FLEETDECKD_LOG_FORMAT: log.format = \"xml\": expected one of text, json"});
    QTest::newRow("env: missing config file") << none << l({"FLEETDECKD_CONFIG=/nonexistent/fleetdeckd.conf"}) << QStringList()
                                              << l({"environment FLEETDECKD_CONFIG: cannot read config file /nonexistent/fleetdeckd.conf"});

    // On the command line: the flag and the key.
    QTest::newRow("flag: unknown") << none << QStringList() << l({"--prot", "1"}) << l({"flag --prot: unknown flag"});
    QTest::newRow("flag: unknown single dash") << none << QStringList() << l({"-port"}) << l({"flag -port: unknown flag"});
    QTest::newRow("flag: positional") << none << QStringList() << l({"demo"}) << l({"unexpected argument \"demo\""});
    QTest::newRow("flag: missing value") << none << QStringList() << l({"--port"}) << l({"flag --port: server.port needs a value"});
    QTest::newRow("flag: int below range") << none << QStringList() << l({"--tick-ms", "5"})
                                           << l({"flag --tick-ms: server.tick_ms = \"5\": expected a whole number from 10 to 10000"});
    QTest::newRow("flag: bad bool")
        << none << QStringList() << l({"--demo=maybe"})
        << l({"flag --demo: demo.enabled = \"maybe\": expected true or false (or yes/no, on/off, 1/0)"});
    QTest::newRow("flag: bad url scheme") << none << QStringList() << l({"--prometheus", "ftp://prom:9090"})
                                          << l({"flag --prometheus: infra.prometheus_url = \"ftp://prom:9090\": expected an http or https URL"});
    QTest::newRow("flag: url without host") << none << QStringList() << l({"--prometheus", "prometheus:9090"})
                                            << l({"infra.prometheus_url = \"prometheus:9090\": expected an http or https URL"});
    QTest::newRow("flag: bad address") << none << QStringList() << l({"--listen", "localhost"})
                                       << l({"flag --listen: server.listen = \"localhost\": expected an IP address"});
    QTest::newRow("flag: missing file") << none << QStringList() << l({"--scrape-targets", "/nonexistent/targets.json"})
                                        << l({"flag --scrape-targets: infra.scrape_targets = \"/nonexistent/targets.json\": no such file"});
    QTest::newRow("flag: bad incident") << none << QStringList() << l({"--demo", "--incident", "meteor:1:2"})
                                        << l({"flag --incident: demo.incidents = \"meteor:1:2\": item \"meteor:1:2\""});
    QTest::newRow("flag: map entry without =") << none << QStringList() << l({"--kafka-property", "acks"})
                                               << l({"flag --kafka-property: kafka.properties = \"acks\": expected name=value"});
    QTest::newRow("flag: missing config file") << none << QStringList() << l({"--config", "/nonexistent/x.conf"})
                                               << l({"flag --config: cannot read config file /nonexistent/x.conf"});

    // Across keys: both keys and where each was set.
    QTest::newRow("lost before stale")
        << none << QStringList() << l({"--lost-after-ms", "1000"})
        << l({"freshness.lost_after_ms = 1000 (flag --lost-after-ms) is below freshness.stale_after_ms = 5000 (default)"});
    QTest::newRow("incidents without demo") << QByteArray("[demo]\nincidents = standby-backup:1:2\n") << QStringList()
                                            << QStringList()
                                            << l({"demo.incidents = standby-backup:1:2 (file ", "needs demo.enabled = true"});
    QTest::newRow("two metrics sources")
        << none << l({"FLEETDECKD_INFRA_PROMETHEUS_URL=http://prom:9090"})
        << QStringList{QStringLiteral("--scrape-targets"), QStringLiteral(FLEETDECK_EXAMPLE_CONFIG)}
        << QStringList{s("infra.prometheus_url = http://prom:9090 (environment FLEETDECKD_INFRA_PROMETHEUS_URL) and "
                         "infra.scrape_targets = ") + QStringLiteral(FLEETDECK_EXAMPLE_CONFIG) + s(" (flag --scrape-targets)")};
}

void TestConfig::errors()
{
    QFETCH(QByteArray, file);
    QFETCH(QStringList, environment);
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, expected);

    const QStringList errors = errorsOf(load(file, environment, arguments));
    const auto matches = [&expected](const QString &error) {
        return std::all_of(expected.cbegin(), expected.cend(), [&error](const QString &part) { return error.contains(part); });
    };
    QVERIFY2(std::any_of(errors.cbegin(), errors.cend(), matches),
             qPrintable(QStringLiteral("expected an error with \"%1\"; got:\n%2")
                            .arg(expected.join(QStringLiteral("\", \"")), errors.join(QLatin1Char('\n')))));
}

void TestConfig::kubernetesServiceLinksAreIgnored()
{
    const config::Loaded loaded =
        load({},
             {QStringLiteral("FLEETDECKD_SERVICE_HOST=10.0.0.7"), QStringLiteral("FLEETDECKD_SERVICE_PORT=8765"),
              QStringLiteral("FLEETDECKD_SERVICE_PORT_WS=8765"), QStringLiteral("FLEETDECKD_PORT=tcp://10.0.0.7:8765"),
              QStringLiteral("FLEETDECKD_PORT_8765_TCP=tcp://10.0.0.7:8765"), QStringLiteral("FLEETDECKD_PORT_8765_TCP_PROTO=tcp"),
              QStringLiteral("FLEETDECKD_PORT_8765_TCP_PORT=8765"), QStringLiteral("FLEETDECKD_PORT_8765_TCP_ADDR=10.0.0.7")},
             {});
    QCOMPARE(loaded.errors, QStringList());
    QCOMPARE(loaded.values.setting(QStringLiteral("server.port")).source.origin, Origin::Default);
}

void TestConfig::secretsAreMasked()
{
    const config::Loaded loaded =
        load("[kafka.properties]\nsasl.password = hunter2-file\nsecurity.protocol = SASL_SSL\n",
             {QStringLiteral("FLEETDECKD_KAFKA_PROPERTIES_SSL_KEY_PASSWORD=hunter2-env")},
             {QStringLiteral("--kafka-property"), QStringLiteral("sasl.oauthbearer.client.secret=hunter2-flag"),
              QStringLiteral("--prometheus"), QStringLiteral("http://ops:hunter2-url@prom:9090/")});
    QCOMPARE(loaded.errors, QStringList());
    const QString printed = config::effectiveConfigText(config::daemonSchema(), loaded.values);
    QVERIFY2(!printed.contains(QLatin1String("hunter2")), qPrintable(printed));
    QVERIFY(printed.contains(QLatin1String("\nsasl.password = ***\n")));
    QVERIFY(printed.contains(QLatin1String("\nssl.key.password = ***\n")));
    QVERIFY(printed.contains(QLatin1String("\nsasl.oauthbearer.client.secret = ***\n")));
    QVERIFY(printed.contains(QLatin1String("\nsecurity.protocol = SASL_SSL\n")));
    QVERIFY(printed.contains(QLatin1String("\nprometheus_url = http://ops:***@prom:9090/\n")));
    // The real values still reach the program.
    QCOMPARE(entriesOf(loaded.values.value(QStringLiteral("kafka.properties"))).value(QStringLiteral("sasl.password")),
             QStringLiteral("hunter2-file"));

    // Nor does an error message show a URL's password.
    const QStringList errors = load({}, {}, {QStringLiteral("--prometheus=ftp://ops:hunter2@prom")}).errors;
    QCOMPARE(errors.size(), 1);
    QVERIFY2(!errors.constFirst().contains(QLatin1String("hunter2")) && errors.constFirst().contains(QLatin1String("ops:***@prom")),
             qPrintable(errors.constFirst()));
}

void TestConfig::printedConfigShowsSourcesAndReadsBack()
{
    const config::Loaded loaded =
        load("[server]\nlisten = 0.0.0.0\n[kafka]\ntopic_prefix = \" spaced \"\n[kafka.properties]\nclient.id = console\n",
             {QStringLiteral("FLEETDECKD_DEMO_ROBOTS=42"), QStringLiteral("FLEETDECKD_TELEOP_ADMINS=ann,bob")},
             {QStringLiteral("--port"), QStringLiteral("9003"), QStringLiteral("--log-format=json")});
    QCOMPARE(loaded.errors, QStringList());
    const QString printed = config::effectiveConfigText(config::daemonSchema(), loaded.values);
    QVERIFY2(printed.contains(QLatin1String("\n[server]\n# from file ")), qPrintable(printed));
    QVERIFY(printed.contains(QLatin1String("fleetdeckd.conf:2\nlisten = 0.0.0.0\n# from flag --port\nport = 9003\n# from default\ntick_ms = 100\n")));
    QVERIFY(printed.contains(QLatin1String("# from environment FLEETDECKD_DEMO_ROBOTS\nrobots = 42\n")));
    QVERIFY(printed.contains(QLatin1String("topic_prefix = \" spaced \"\n")));

    // What --print-config prints is a config file that gives the same values.
    const QString path = writeFile(QStringLiteral("printed.conf"), printed.toUtf8());
    const config::Loaded reread = config::load(config::daemonSchema(), {QStringLiteral("--config"), path}, {});
    QCOMPARE(reread.errors, QStringList());
    for (const config::Key &key : config::daemonSchema().keys)
        QCOMPARE(reread.values.value(key.name), loaded.values.value(key.name));
}

void TestConfig::quotingCommentsAndLineEndings()
{
    const QByteArray text = "\xEF\xBB\xBF; a comment\r\n  # an indented one\r\n[kafka]\r\nbrokers = \"  k1:9092 \"\r\n"
                            "topic_prefix = staging#1.\r\n\r\n[kafka.properties]\r\nsasl.password = \"p=a\\\"ss\\\\\"\r\n";
    const config::Loaded loaded = load(text, {}, {});
    QCOMPARE(loaded.errors, QStringList());
    QCOMPARE(loaded.values.value(QStringLiteral("kafka.brokers")).toString(), QStringLiteral("  k1:9092 "));
    QCOMPARE(loaded.values.value(QStringLiteral("kafka.topic_prefix")).toString(), QStringLiteral("staging#1."));
    QCOMPARE(entriesOf(loaded.values.value(QStringLiteral("kafka.properties"))).value(QStringLiteral("sasl.password")),
             QStringLiteral("p=a\"ss\\"));
}

void TestConfig::relativePathsFollowTheConfigFile()
{
    const QString targets = writeFile(QStringLiteral("etc/targets.json"), "[]");
    const QString conf = writeFile(QStringLiteral("etc/fleetdeckd.conf"), "[infra]\nscrape_targets = targets.json\n");
    const config::Loaded loaded = config::load(config::daemonSchema(), {QStringLiteral("--config"), conf}, {});
    QCOMPARE(loaded.errors, QStringList());
    QCOMPARE(QFileInfo(loaded.values.value(QStringLiteral("infra.scrape_targets")).toString()).canonicalFilePath(),
             QFileInfo(targets).canonicalFilePath());
}

void TestConfig::committedExampleIsCurrent()
{
    QFile file(QStringLiteral(FLEETDECK_EXAMPLE_CONFIG));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    const QString committed = QString::fromUtf8(file.readAll());
    const QString generated = config::exampleConfigText(config::daemonSchema());
    QVERIFY2(committed == generated,
             "packaging/fleetdeckd.conf.example differs from the schema: regenerate it with "
             "fleetdeckd --print-default-config > packaging/fleetdeckd.conf.example");
}

void TestConfig::exampleLoadsAsDefaults()
{
    const QString example = config::exampleConfigText(config::daemonSchema());
    const config::Loaded asIs = load(example.toUtf8(), {}, {});
    QCOMPARE(asIs.errors, QStringList());
    for (const config::Key &key : config::daemonSchema().keys)
        QCOMPARE(asIs.values.setting(key.name).source.origin, Origin::Default);

    // Every documented default, uncommented, is a valid value equal to the default.
    QString uncommented = example;
    uncommented.replace(QRegularExpression(QStringLiteral("^#([a-z_.]+ =)"), QRegularExpression::MultilineOption),
                        QStringLiteral("\\1"));
    const config::Loaded loaded = load(uncommented.toUtf8(), {}, {});
    QCOMPARE(loaded.errors, QStringList());
    for (const config::Key &key : config::daemonSchema().keys) {
        const config::Setting &setting = loaded.values.setting(key.name);
        if (key.type == config::Type::Map) {
            QCOMPARE(entriesOf(setting.value).size(), key.examples.size());
            continue;
        }
        QCOMPARE(setting.source.origin, Origin::File);
        QCOMPARE(setting.value, key.defaultValue);
    }
}

void TestConfig::binaryPrintsConfig()
{
    int exitCode = 0;
    QString errors;
    const QString out = runBinary({QStringLiteral("--print-config"), QStringLiteral("--port"), QStringLiteral("9100"),
                                   QStringLiteral("--kafka-property"), QStringLiteral("sasl.password=hunter2")},
                                  {QStringLiteral("FLEETDECKD_SERVER_TICK_MS=250")}, &exitCode, &errors);
    QCOMPARE(exitCode, 0);
    QCOMPARE(errors, QString());
    QVERIFY2(out.contains(QLatin1String("# from flag --port\nport = 9100\n")), qPrintable(out));
    QVERIFY(out.contains(QLatin1String("# from environment FLEETDECKD_SERVER_TICK_MS\ntick_ms = 250\n")));
    QVERIFY(out.contains(QLatin1String("# from flag --kafka-property\nsasl.password = ***\n")));
    QVERIFY(!out.contains(QLatin1String("hunter2")));
    QVERIFY(!out.contains(QLatin1String("LISTENING")));
}

void TestConfig::binaryPrintsDefaultConfig()
{
    int exitCode = 0;
    QString errors;
    const QString out = runBinary({QStringLiteral("--print-default-config")}, {}, &exitCode, &errors);
    QCOMPARE(exitCode, 0);
    QCOMPARE(out, config::exampleConfigText(config::daemonSchema()));
}

void TestConfig::binaryRejectsBadConfig_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expected");

    QTest::newRow("file") << QByteArray("[server]\nport = 1\ntick = 5\n") << QStringList() << QStringList()
                          << QStringLiteral("bad.conf:3: unknown key server.tick");
    QTest::newRow("environment") << QByteArray() << QStringList{QStringLiteral("FLEETDECKD_SERVER_PORT=http")} << QStringList()
                                 << QStringLiteral("fleetdeckd: environment FLEETDECKD_SERVER_PORT: server.port = \"http\": expected");
    QTest::newRow("flag") << QByteArray() << QStringList() << QStringList{QStringLiteral("--robot"), QStringLiteral("5")}
                          << QStringLiteral("fleetdeckd: flag --robot: unknown flag");
    QTest::newRow("print-config of a bad config")
        << QByteArray() << QStringList() << QStringList{QStringLiteral("--print-config"), QStringLiteral("--log-format=xml")}
        << QStringLiteral("log.format = \"xml\": expected one of text, json");
}

void TestConfig::binaryRejectsBadConfig()
{
    QFETCH(QByteArray, file);
    QFETCH(QStringList, environment);
    QFETCH(QStringList, arguments);
    QFETCH(QString, expected);

    if (!file.isNull())
        environment.append(QStringLiteral("FLEETDECKD_CONFIG=") + writeFile(QStringLiteral("bad.conf"), file));
    int exitCode = 0;
    QString errors;
    const QString out = runBinary(arguments, environment, &exitCode, &errors);
    QCOMPARE(exitCode, 2);
    QVERIFY2(errors.contains(expected), qPrintable(errors));
    QCOMPARE(out, QString());
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
