#pragma once

#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <functional>
#include <map>
#include <vector>

// Layered configuration of a backend program. Every key is declared once, in a Schema (dotted name,
// type, default, one line of doc, secret or not); its environment variable, its flag, --help, the
// documented example file and --print-config all come from that declaration. Layers, later ones
// winning: defaults, the config file, the environment, the command line. An unknown key or a bad value
// in any layer is an error that names the key, where it was set and what was expected.
//
// The file is INI-like, what ops people write by hand without a library:
//     # comment
//     [server]
//     port = 8765
//     [kafka.properties]          # a map key: each line is one entry
//     sasl.password = …
// Values run to the end of the line (no trailing comments, so `#` may appear in a password); a value
// in double quotes keeps its outer spaces and takes \" and \\ escapes.
namespace fleetdeck::config {

// What a key holds, and so its QVariant type in Values: Int int, Bool bool, List QStringList,
// Map QMap<QString, QString>, Url QUrl, every other QString.
enum class Type { Int, Bool, String, Enum, List, Map, Url, Address, File, Directory };

struct Key {
    QString name;  // section.key, e.g. server.port; a Map key may have more dots (kafka.properties)
    Type type = Type::String;
    QVariant defaultValue;
    QString doc;        // one line, ends with a full stop
    QString flag;       // without dashes; empty: the name with '.' and '_' as '-'
    QString valueName;  // --help's placeholder: --port N
    int min = 0;        // Int: the accepted range
    int max = 0;
    QStringList choices;        // Enum
    QStringList schemes;        // Url, e.g. http, https
    bool secret = false;        // the whole value prints as ***
    QStringList secretEntries;  // Map: entries whose name contains one of these print as ***
    QStringList examples;       // Map: "name = value" lines shown commented out in the example file
    // List: each item checked; false with `why` makes the value an error naming the key.
    std::function<bool(const QString &item, QString *why)> checkItem;
};

struct Schema {
    QString program;      // fleetdeckd: names the environment prefix and messages
    QString description;  // one line for --help
    std::vector<Key> keys;

    [[nodiscard]] const Key *find(const QString &name) const;
    [[nodiscard]] const Key *findFlag(const QString &flag) const;
    [[nodiscard]] QString envPrefix() const;        // FLEETDECKD_
    [[nodiscard]] QString envName(const Key &key) const;  // FLEETDECKD_SERVER_PORT
    [[nodiscard]] QString configEnvName() const;    // FLEETDECKD_CONFIG
    [[nodiscard]] static QString flagName(const Key &key);  // port (no dashes)
};

enum class Origin { Default, File, Environment, Flag };

// Where a value was set: origin plus file:line, variable name or flag.
struct Source {
    Origin origin = Origin::Default;
    QString where;  // "/etc/fleetdeckd.conf:12", "FLEETDECKD_SERVER_PORT", "--port"; empty for defaults
    [[nodiscard]] QString describe() const;  // "default", "file x.conf:12", "environment X", "flag --port"
};

struct Setting {
    QVariant value;
    Source source;
    QMap<QString, Source> entrySources;  // Map keys: each entry's own source (entries merge across layers)
};

// Every key of a schema with its effective value.
class Values
{
public:
    [[nodiscard]] const Setting &setting(const QString &name) const;  // name must be in the schema
    [[nodiscard]] QVariant value(const QString &name) const { return setting(name).value; }
    [[nodiscard]] const std::map<QString, Setting> &all() const { return m_settings; }
    Setting &operator[](const QString &name) { return m_settings[name]; }

private:
    std::map<QString, Setting> m_settings;
};

enum class Action { Run, Help, Version, PrintConfig, PrintDefaultConfig };

struct Loaded {
    Action action = Action::Run;
    Values values;
    QStringList errors;  // one line each, empty when every layer was good
    QString configFile;  // as given by --config or the environment; empty if none
};

// Reads every layer: `arguments` without the program name; the file named by --config or
// <PREFIX>CONFIG; `environment` (pass QProcessEnvironment::systemEnvironment() in production).
// Kubernetes service links (<PREFIX>SERVICE_HOST, <PREFIX>PORT_8765_TCP, … injected for a Service
// named like the program) are ignored rather than taken for unknown keys.
[[nodiscard]] Loaded load(const Schema &schema, const QStringList &arguments, const QProcessEnvironment &environment);

// A value as --print-config shows it, secrets as ***.
[[nodiscard]] QString displayValue(const Key &key, const QVariant &value);
// What a good value looks like: "a whole number from 0 to 65535".
[[nodiscard]] QString expectation(const Key &key);

// The effective configuration in the file format, each value preceded by where it came from.
[[nodiscard]] QString effectiveConfigText(const Schema &schema, const Values &values);
// The documented example file: every key with its doc, type, variable, flag and default (commented out).
[[nodiscard]] QString exampleConfigText(const Schema &schema);
[[nodiscard]] QString helpText(const Schema &schema);

}  // namespace fleetdeck::config
