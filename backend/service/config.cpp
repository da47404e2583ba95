#include "config.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

#include <optional>

namespace fleetdeck::config {

namespace {

const QString kMask = QStringLiteral("***");

// Kubernetes gives every pod <SERVICE>_SERVICE_HOST, <SERVICE>_PORT_8765_TCP_ADDR, … for each Service
// in its namespace; a Service named like the program must not stop it.
bool isKubernetesServiceLink(const QString &rest)
{
    static const QRegularExpression pattern(
        QStringLiteral("^(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$"));
    return pattern.match(rest).hasMatch();
}

// The section a key is written under, and its name within it.
QString sectionOf(const Key &key)
{
    return key.type == Type::Map ? key.name : key.name.left(key.name.lastIndexOf(QLatin1Char('.')));
}

QString shortName(const Key &key)
{
    return key.name.mid(key.name.lastIndexOf(QLatin1Char('.')) + 1);
}

QString topSection(const Key &key)
{
    return key.name.left(key.name.indexOf(QLatin1Char('.')));
}

bool isSecretEntry(const Key &key, const QString &entry)
{
    if (key.secret)
        return true;
    for (const QString &word : key.secretEntries) {
        if (entry.contains(word, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

// A URL's password as ***, also in text that did not parse as a URL.
QString maskUrlText(const QString &text)
{
    static const QRegularExpression userInfo(QStringLiteral("(://[^/:@]*:)[^/@]*@"));
    QString masked = text;
    return masked.replace(userInfo, QStringLiteral("\\1***@"));
}

QString quoted(const QString &value)
{
    if (value == value.trimmed() && !value.startsWith(QLatin1Char('"')))
        return value;
    QString escaped = value;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

// The value of a file line: as written, or inside double quotes with \" and \\ escapes.
std::optional<QString> unquoted(const QString &text)
{
    if (!text.startsWith(QLatin1Char('"')))
        return text;
    QString value;
    for (qsizetype i = 1; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('\\') && i + 1 < text.size()) {
            value += text.at(++i);
        } else if (c == QLatin1Char('"')) {
            if (i + 1 != text.size())
                return std::nullopt;  // text after the closing quote
            return value;
        } else {
            value += c;
        }
    }
    return std::nullopt;  // no closing quote
}

bool isEntryName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]*$"));
    return pattern.match(name).hasMatch();
}

// A `name = value` line, without trailing spaces when the value is empty.
QString assignment(const QString &name, const QString &value)
{
    return value.isEmpty() ? QString(name + QStringLiteral(" =")) : QString(name + QStringLiteral(" = ") + value);
}

QString capitalized(QString text)
{
    if (!text.isEmpty())
        text[0] = text.at(0).toUpper();
    return text;
}

// `text` as a value of `key`; nullopt with `problem` ("expected …") when it is not one.
std::optional<QVariant> parseValue(const Key &key, const QString &rawText, const QString &baseDir, QString *problem)
{
    const QString text = rawText.trimmed();
    const auto expected = [&] {
        *problem = QStringLiteral("expected ") + expectation(key);
        return std::nullopt;
    };
    switch (key.type) {
    case Type::Int: {
        bool ok = false;
        const int value = text.toInt(&ok);
        if (!ok || value < key.min || value > key.max)
            return expected();
        return QVariant(value);
    }
    case Type::Bool: {
        const QString lower = text.toLower();
        if (lower == QLatin1String("true") || lower == QLatin1String("yes") || lower == QLatin1String("on") || lower == QLatin1String("1"))
            return QVariant(true);
        if (lower == QLatin1String("false") || lower == QLatin1String("no") || lower == QLatin1String("off") || lower == QLatin1String("0"))
            return QVariant(false);
        return expected();
    }
    case Type::String:
        return QVariant(rawText);  // as given: quotes in the file are the way to keep outer spaces
    case Type::Enum:
        if (!key.choices.contains(text))
            return expected();
        return QVariant(text);
    case Type::List: {
        QStringList items;
        for (const QString &item : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString trimmed = item.trimmed();
            if (trimmed.isEmpty())
                continue;
            QString why;
            if (key.checkItem && !key.checkItem(trimmed, &why)) {
                *problem = QStringLiteral("item \"%1\": %2").arg(trimmed, why);
                return std::nullopt;
            }
            items.append(trimmed);
        }
        return QVariant(items);
    }
    case Type::Map: {
        QMap<QString, QString> entries;
        for (const QString &pair : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (pair.trimmed().isEmpty())
                continue;
            const qsizetype eq = pair.indexOf(QLatin1Char('='));
            const QString name = pair.left(eq).trimmed();
            if (eq < 0 || !isEntryName(name))
                return expected();
            entries.insert(name, pair.mid(eq + 1).trimmed());
        }
        return QVariant::fromValue(entries);
    }
    case Type::Url: {
        if (text.isEmpty())
            return QVariant(QUrl());
        const QUrl url(text, QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty() || !key.schemes.contains(url.scheme()))
            return expected();
        return QVariant(url);
    }
    case Type::Address:
        if (QHostAddress(text).isNull())
            return expected();
        return QVariant(text);
    case Type::File: {
        if (text.isEmpty())
            return QVariant(text);
        // Relative to the file that names it, so a config and its neighbours move together.
        const QString path = baseDir.isEmpty() ? text : QDir(baseDir).filePath(text);
        const QFileInfo info(path);
        if (!info.exists())
            *problem = QStringLiteral("no such file (expected %1)").arg(expectation(key));
        else if (!info.isFile() || !info.isReadable())
            *problem = QStringLiteral("not a readable file (expected %1)").arg(expectation(key));
        else
            return QVariant(path);
        return std::nullopt;
    }
    case Type::Directory: {
        if (text.isEmpty())
            return QVariant(text);
        const QString path = baseDir.isEmpty() ? text : QDir(baseDir).filePath(text);
        const QFileInfo info(path);
        if (!info.exists())
            *problem = QStringLiteral("no such directory (expected %1)").arg(expectation(key));
        else if (!info.isDir() || !info.isReadable())
            *problem = QStringLiteral("not a readable directory (expected %1)").arg(expectation(key));
        else
            return QVariant(path);
        return std::nullopt;
    }
    }
    return expected();
}

// The raw text of a value as an error message may show it.
QString shownText(const Key &key, const QString &text)
{
    if (key.secret)
        return kMask;
    return key.type == Type::Url ? maskUrlText(text) : text;
}

class Loader
{
public:
    explicit Loader(const Schema &schema)
        : m_schema(schema)
    {
        for (const Key &key : schema.keys)
            m_values[key.name] = Setting{key.defaultValue, Source{}, {}};
    }

    void readFile(const QString &path, const Source &namedBy)
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            m_errors.append(QStringLiteral("%1: cannot read config file %2: %3").arg(namedBy.describe(), path, file.errorString()));
            return;
        }
        QString text = QString::fromUtf8(file.readAll());
        if (text.startsWith(QChar(0xFEFF)))
            text.remove(0, 1);
        readText(text, path, QFileInfo(path).absolutePath());
    }

    void readText(const QString &text, const QString &fileName, const QString &baseDir)
    {
        QString section;
        const Key *mapSection = nullptr;
        bool sectionUnknown = false;
        QMap<QString, int> firstLine;  // key or map entry → line
        const QStringList lines = text.split(QLatin1Char('\n'));
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const Source source{Origin::File, QStringLiteral("%1:%2").arg(fileName).arg(i + 1)};
            const QString line = lines.at(i).trimmed();
            if (line.isEmpty() || line.startsWith(QLatin1Char('#')) || line.startsWith(QLatin1Char(';')))
                continue;
            if (line.startsWith(QLatin1Char('['))) {
                if (!line.endsWith(QLatin1Char(']'))) {
                    malformed(source, line);
                    continue;
                }
                section = line.mid(1, line.size() - 2).trimmed();
                const Key *key = m_schema.find(section);
                mapSection = key && key->type == Type::Map ? key : nullptr;
                sectionUnknown = !mapSection && !hasSection(section);
                if (sectionUnknown)
                    m_errors.append(QStringLiteral("%1: unknown section [%2]").arg(source.describe(), section));
                continue;
            }
            const qsizetype eq = line.indexOf(QLatin1Char('='));
            if (eq <= 0) {
                malformed(source, line);
                continue;
            }
            if (sectionUnknown)
                continue;  // reported once, at the section
            const QString left = line.left(eq).trimmed();
            const std::optional<QString> value = unquoted(line.mid(eq + 1).trimmed());
            const QString name = section.isEmpty() ? left : section + QLatin1Char('.') + left;
            const Key *key = mapSection ? mapSection : m_schema.find(name);
            if (!key) {
                m_errors.append(QStringLiteral("%1: unknown key %2").arg(source.describe(), name));
                continue;
            }
            if (firstLine.contains(name)) {
                m_errors.append(QStringLiteral("%1: %2 is set again (first on line %3)")
                                    .arg(source.describe(), name)
                                    .arg(firstLine.value(name)));
                continue;
            }
            firstLine.insert(name, int(i + 1));
            if (!value) {
                m_errors.append(QStringLiteral("%1: %2: unbalanced double quote").arg(source.describe(), name));
                continue;
            }
            if (mapSection && !isEntryName(left))
                m_errors.append(QStringLiteral("%1: %2 entry \"%3\": expected a name such as security.protocol")
                                    .arg(source.describe(), key->name, left));
            else if (mapSection)
                setEntry(*key, left, *value, source);
            else
                set(*key, *value, source, baseDir);
        }
    }

    void readEnvironment(const QProcessEnvironment &environment)
    {
        const QString prefix = m_schema.envPrefix();
        QStringList names = environment.keys();
        names.sort();
        for (const QString &name : names) {
            if (!name.startsWith(prefix) || name == m_schema.configEnvName() || isKubernetesServiceLink(name.mid(prefix.size())))
                continue;
            const Source source{Origin::Environment, name};
            const QString value = environment.value(name);
            if (const Key *key = findEnv(name)) {
                set(*key, value, source, {});
                continue;
            }
            bool isEntry = false;
            for (const Key &key : m_schema.keys) {
                const QString entryPrefix = m_schema.envName(key) + QLatin1Char('_');
                if (key.type == Type::Map && name.startsWith(entryPrefix) && isEntryName(name.mid(entryPrefix.size()))) {
                    // FLEETDECKD_KAFKA_PROPERTIES_SASL_PASSWORD → sasl.password (librdkafka names use dots only).
                    setEntry(key, name.mid(entryPrefix.size()).toLower().replace(QLatin1Char('_'), QLatin1Char('.')), value, source);
                    isEntry = true;
                    break;
                }
            }
            if (!isEntry)
                m_errors.append(QStringLiteral("%1: unknown key (%2 --print-default-config lists every key and its variable)")
                                    .arg(source.describe(), m_schema.program));
        }
    }

    // A flag's value; list flags add to what earlier ones of the same flags gave.
    void readFlag(const Key &key, const QString &value, const Source &source)
    {
        if (key.type == Type::Map) {
            const qsizetype eq = value.indexOf(QLatin1Char('='));
            const QString name = value.left(eq).trimmed();
            if (eq < 0 || !isEntryName(name)) {
                m_errors.append(QStringLiteral("%1: %2 = \"%3\": expected name=value").arg(source.describe(), key.name, value));
                return;
            }
            setEntry(key, name, value.mid(eq + 1), source);  // the value as given: it may be a password
            return;
        }
        if (key.type == Type::List && m_flagLists.contains(key.name)) {
            const QStringList before = m_values[key.name].value.toStringList();
            if (set(key, value, source, {}))
                m_values[key.name].value = QVariant(before + m_values[key.name].value.toStringList());
            return;
        }
        if (key.type == Type::List)
            m_flagLists.insert(key.name);
        set(key, value, source, {});
    }

    [[nodiscard]] const Values &values() const { return m_values; }
    [[nodiscard]] const QStringList &errors() const { return m_errors; }

private:
    bool set(const Key &key, const QString &text, const Source &source, const QString &baseDir)
    {
        QString problem;
        const std::optional<QVariant> value = parseValue(key, text, baseDir, &problem);
        if (!value) {
            m_errors.append(QStringLiteral("%1: %2 = \"%3\": %4").arg(source.describe(), key.name, shownText(key, text.trimmed()), problem));
            return false;
        }
        Setting &setting = m_values[key.name];
        if (key.type == Type::Map) {
            const auto entries = value->value<QMap<QString, QString>>();
            for (auto it = entries.cbegin(); it != entries.cend(); ++it)
                setEntry(key, it.key(), it.value(), source);
            return true;
        }
        setting.value = *value;
        setting.source = source;
        return true;
    }

    void setEntry(const Key &key, const QString &entry, const QString &value, const Source &source)
    {
        Setting &setting = m_values[key.name];
        auto entries = setting.value.value<QMap<QString, QString>>();
        entries.insert(entry, value);
        setting.value = QVariant::fromValue(entries);
        setting.entrySources.insert(entry, source);
        setting.source = source;
    }

    void malformed(const Source &source, const QString &line)
    {
        m_errors.append(QStringLiteral("%1: malformed line \"%2\": expected key = value or [section]").arg(source.describe(), line));
    }

    [[nodiscard]] bool hasSection(const QString &section) const
    {
        for (const Key &key : m_schema.keys) {
            if (sectionOf(key) == section)
                return true;
        }
        return false;
    }

    [[nodiscard]] const Key *findEnv(const QString &name) const
    {
        for (const Key &key : m_schema.keys) {
            if (m_schema.envName(key) == name)
                return &key;
        }
        return nullptr;
    }

    const Schema &m_schema;
    Values m_values;
    QStringList m_errors;
    QSet<QString> m_flagLists;
};

struct FlagValue {
    const Key *key = nullptr;
    QString value;
    Source source;
};

}  // namespace

const Key *Schema::find(const QString &name) const
{
    for (const Key &key : keys) {
        if (key.name == name)
            return &key;
    }
    return nullptr;
}

const Key *Schema::findFlag(const QString &flag) const
{
    for (const Key &key : keys) {
        if (flagName(key) == flag)
            return &key;
    }
    return nullptr;
}

QString Schema::envPrefix() const
{
    return program.toUpper().replace(QLatin1Char('-'), QLatin1Char('_')) + QLatin1Char('_');
}

QString Schema::envName(const Key &key) const
{
    return envPrefix() + key.name.toUpper().replace(QLatin1Char('.'), QLatin1Char('_'));
}

QString Schema::configEnvName() const
{
    return envPrefix() + QStringLiteral("CONFIG");
}

QString Schema::flagName(const Key &key)
{
    if (!key.flag.isEmpty())
        return key.flag;
    return QString(key.name).replace(QLatin1Char('.'), QLatin1Char('-')).replace(QLatin1Char('_'), QLatin1Char('-'));
}

QString Source::describe() const
{
    switch (origin) {
    case Origin::Default:
        return QStringLiteral("default");
    case Origin::File:
        return QStringLiteral("file ") + where;
    case Origin::Environment:
        return QStringLiteral("environment ") + where;
    case Origin::Flag:
        return QStringLiteral("flag ") + where;
    }
    return where;
}

const Setting &Values::setting(const QString &name) const
{
    static const Setting kNone;
    const auto it = m_settings.find(name);
    Q_ASSERT_X(it != m_settings.end(), "config::Values::setting", "key not in the schema");
    return it != m_settings.end() ? it->second : kNone;
}

Loaded load(const Schema &schema, const QStringList &arguments, const QProcessEnvironment &environment)
{
    Loaded loaded;
    std::vector<FlagValue> flags;
    Source configSource;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        if (arg == QLatin1String("-h") || arg == QLatin1String("-?") || arg == QLatin1String("--help")) {
            loaded.action = Action::Help;
            continue;
        }
        if (arg == QLatin1String("-v") || arg == QLatin1String("--version")) {
            if (loaded.action != Action::Help)
                loaded.action = Action::Version;
            continue;
        }
        if (!arg.startsWith(QLatin1String("--"))) {
            loaded.errors.append(arg.startsWith(QLatin1Char('-'))
                                     ? QStringLiteral("flag %1: unknown flag (see --help)").arg(arg)
                                     : QStringLiteral("unexpected argument \"%1\": every setting is a --flag (see --help)").arg(arg));
            continue;
        }
        QString name = arg.mid(2);
        QString value;
        const qsizetype eq = name.indexOf(QLatin1Char('='));
        const bool hasValue = eq >= 0;
        if (hasValue) {
            value = name.mid(eq + 1);
            name.truncate(eq);
        }
        const Source source{Origin::Flag, QStringLiteral("--") + name};
        if (name == QLatin1String("print-config") || name == QLatin1String("print-default-config")) {
            if (hasValue)
                loaded.errors.append(QStringLiteral("%1: takes no value").arg(source.describe()));
            else if (loaded.action == Action::Run || loaded.action == Action::PrintConfig)
                loaded.action = name == QLatin1String("print-config") ? Action::PrintConfig : Action::PrintDefaultConfig;
            continue;
        }
        const Key *key = name == QLatin1String("config") ? nullptr : schema.findFlag(name);
        if (!key && name != QLatin1String("config")) {
            loaded.errors.append(QStringLiteral("%1: unknown flag (see --help)").arg(source.describe()));
            continue;
        }
        if (!hasValue && key && key->type == Type::Bool) {
            value = QStringLiteral("true");
        } else if (!hasValue) {
            if (i + 1 >= arguments.size()) {
                loaded.errors.append(QStringLiteral("%1: %2 needs a value").arg(source.describe(), key ? key->name : QStringLiteral("a config file")));
                continue;
            }
            value = arguments.at(++i);
        }
        if (key) {
            flags.push_back(FlagValue{key, value, source});
        } else {
            loaded.configFile = value;
            configSource = source;
        }
    }
    if (loaded.action == Action::Help || loaded.action == Action::Version || loaded.action == Action::PrintDefaultConfig) {
        loaded.errors.clear();  // they read no configuration
        return loaded;
    }

    Loader loader(schema);
    if (configSource.origin != Origin::Flag && environment.contains(schema.configEnvName())) {
        loaded.configFile = environment.value(schema.configEnvName());
        configSource = Source{Origin::Environment, schema.configEnvName()};
    }
    if (configSource.origin != Origin::Default) {
        if (loaded.configFile.isEmpty())
            loaded.errors.append(QStringLiteral("%1: names no config file").arg(configSource.describe()));
        else
            loader.readFile(loaded.configFile, configSource);
    }
    loader.readEnvironment(environment);
    for (const FlagValue &flag : flags)
        loader.readFlag(*flag.key, flag.value, flag.source);
    loaded.values = loader.values();
    loaded.errors += loader.errors();
    return loaded;
}

QString expectation(const Key &key)
{
    switch (key.type) {
    case Type::Int:
        return QStringLiteral("a whole number from %1 to %2").arg(key.min).arg(key.max);
    case Type::Bool:
        return QStringLiteral("true or false (or yes/no, on/off, 1/0)");
    case Type::String:
        return QStringLiteral("text");
    case Type::Enum:
        return QStringLiteral("one of ") + key.choices.join(QStringLiteral(", "));
    case Type::List:
        return QStringLiteral("items separated by commas");
    case Type::Map:
        return QStringLiteral("name=value entries separated by commas");
    case Type::Url:
        return QStringLiteral("an %1 URL").arg(key.schemes.join(QStringLiteral(" or ")));
    case Type::Address:
        return QStringLiteral("an IP address such as 127.0.0.1, 0.0.0.0 or ::");
    case Type::File:
        return QStringLiteral("the path of a readable file");
    case Type::Directory:
        return QStringLiteral("the path of a readable directory");
    }
    return {};
}

QString displayValue(const Key &key, const QVariant &value)
{
    switch (key.type) {
    case Type::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case Type::Int:
        return QString::number(value.toInt());
    case Type::List:
        return key.secret && !value.toStringList().isEmpty() ? kMask : value.toStringList().join(QStringLiteral(", "));
    case Type::Map: {
        QStringList pairs;
        const auto entries = value.value<QMap<QString, QString>>();
        for (auto it = entries.cbegin(); it != entries.cend(); ++it)
            pairs.append(it.key() + QLatin1Char('=') + (isSecretEntry(key, it.key()) ? kMask : it.value()));
        return pairs.join(QStringLiteral(", "));
    }
    case Type::Url: {
        QUrl url = value.toUrl();
        if (key.secret && !url.isEmpty())
            return kMask;
        if (!url.password().isEmpty())
            url.setPassword(kMask);
        return url.toString();
    }
    case Type::String:
    case Type::Enum:
    case Type::Address:
    case Type::File:
    case Type::Directory:
        break;
    }
    return key.secret && !value.toString().isEmpty() ? kMask : value.toString();
}

namespace {

// Keys in file order: each top section's plain keys under [section], then its maps as [section.map].
std::vector<std::vector<const Key *>> sectionBlocks(const Schema &schema)
{
    std::vector<std::vector<const Key *>> blocks;
    QStringList done;
    for (const Key &first : schema.keys) {
        const QString top = topSection(first);
        if (done.contains(top))
            continue;
        done.append(top);
        std::vector<const Key *> plain;
        for (const Key &key : schema.keys) {
            if (topSection(key) == top && key.type != Type::Map)
                plain.push_back(&key);
        }
        if (!plain.empty())
            blocks.push_back(plain);
        for (const Key &key : schema.keys) {
            if (topSection(key) == top && key.type == Type::Map)
                blocks.push_back({&key});
        }
    }
    return blocks;
}

// `text` as comment lines of at most about 100 characters.
QString commented(const QString &text)
{
    constexpr qsizetype kWidth = 100;
    QString out;
    QString line = QStringLiteral("#");
    for (const QString &word : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        if (line.size() > 1 && line.size() + 1 + word.size() > kWidth) {
            out += line + QLatin1Char('\n');
            line = QStringLiteral("#");
        }
        line += QLatin1Char(' ') + word;
    }
    return out + line + QLatin1Char('\n');
}

QString flagUsage(const Key &key)
{
    QString usage = QStringLiteral("--") + Schema::flagName(key);
    if (key.type != Type::Bool)
        usage += QLatin1Char(' ') + (key.valueName.isEmpty() ? QStringLiteral("VALUE") : key.valueName);
    return usage;
}

}  // namespace

QString effectiveConfigText(const Schema &schema, const Values &values)
{
    QString text = QStringLiteral("# %1: effective configuration (defaults < config file < environment < flags).\n"
                                  "# Above each value, where it came from; secrets are shown as %2.\n")
                       .arg(schema.program, kMask);
    for (const std::vector<const Key *> &block : sectionBlocks(schema)) {
        text += QStringLiteral("\n[%1]\n").arg(sectionOf(*block.front()));
        for (const Key *key : block) {
            const Setting &setting = values.setting(key->name);
            if (key->type != Type::Map) {
                text += QStringLiteral("# from %1\n%2\n")
                            .arg(setting.source.describe(), assignment(shortName(*key), quoted(displayValue(*key, setting.value))));
                continue;
            }
            const auto entries = setting.value.value<QMap<QString, QString>>();
            if (entries.isEmpty())
                text += QStringLiteral("# none set\n");
            for (auto it = entries.cbegin(); it != entries.cend(); ++it) {
                text += QStringLiteral("# from %1\n%2\n")
                            .arg(setting.entrySources.value(it.key()).describe(),
                                 assignment(it.key(), isSecretEntry(*key, it.key()) ? kMask : quoted(it.value())));
            }
        }
    }
    return text;
}

QString exampleConfigText(const Schema &schema)
{
    const QString prefix = schema.envPrefix();
    QString text = commented(QStringLiteral("%1 configuration file: every key with its doc and its default (commented "
                                            "out). Generated by `%1 --print-default-config` from the key declarations in "
                                            "the source, and a test keeps this copy equal to them: edit those, not this.")
                                 .arg(schema.program));
    text += QStringLiteral("#\n");
    text += commented(QStringLiteral("Read with `%1 --config FILE` or %2=FILE. Each key can also be set by an environment "
                                     "variable (%3 and the key in upper case, dots as underscores) and by a flag. Flags "
                                     "win over the environment, which wins over this file, which wins over the defaults. "
                                     "`%1 --print-config` shows the result and where each value came from.")
                          .arg(schema.program, schema.configEnvName(), prefix));
    text += QStringLiteral("#\n");
    text += commented(QStringLiteral("`key = value` lines under [section] headers; a line starting with # or ; is a "
                                     "comment. A value runs to the end of its line (no trailing comments, so # may appear "
                                     "in a password); double quotes keep outer spaces (with \\\" and \\\\ inside). Lists are "
                                     "comma-separated. Relative file paths are relative to this file. An unknown key or a "
                                     "bad value stops %1 with a message that names it. %2SERVICE_* and %2PORT_* variables "
                                     "are ignored: Kubernetes sets them for a Service named %3.")
                          .arg(schema.program, prefix, schema.program.toLower()));
    for (const std::vector<const Key *> &block : sectionBlocks(schema)) {
        text += QStringLiteral("\n[%1]\n").arg(sectionOf(*block.front()));
        for (const Key *key : block) {
            const QString envName = schema.envName(*key);
            text += QLatin1Char('\n') + commented(key->doc);
            if (key->type == Type::Map) {
                text += commented(QStringLiteral("One `name = value` line per entry. Environment: %1 (entries separated by "
                                                 "commas) or one variable per entry, %1_ and the name in upper case with "
                                                 "dots as underscores. Flag: %2 (repeatable). Entries merge across file, "
                                                 "environment and flags.")
                                      .arg(envName, flagUsage(*key)));
                if (!key->secretEntries.isEmpty())
                    text += commented(QStringLiteral("Entries whose name contains %1 are secrets, shown as %2.")
                                          .arg(key->secretEntries.join(QStringLiteral(", ")), kMask));
                for (const QString &example : key->examples)
                    text += QLatin1Char('#') + example + QLatin1Char('\n');
                continue;
            }
            QString how = capitalized(expectation(*key));
            if (key->type == Type::List)
                how += QStringLiteral("; the flag may be repeated");
            if (key->secret)
                how += QStringLiteral("; secret, shown as ") + kMask;
            text += commented(how + QLatin1Char('.'));
            text += commented(QStringLiteral("Environment: %1. Flag: %2.").arg(envName, flagUsage(*key)));
            text += QLatin1Char('#') + assignment(shortName(*key), quoted(displayValue(*key, key->defaultValue))) + QLatin1Char('\n');
        }
    }
    return text;
}

QString helpText(const Schema &schema)
{
    QString text = QStringLiteral("Usage: %1 [flags]\n%2\n\n"
                                  "Every setting comes from the config file, the environment or a flag; flags win over the\n"
                                  "environment, which wins over the file. --print-default-config documents every key.\n\n")
                       .arg(schema.program, schema.description);
    const auto line = [&text](const QString &usage, const QString &doc) {
        text += QStringLiteral("  %1 %2\n").arg(usage.leftJustified(30), doc);
    };
    line(QStringLiteral("--config FILE"), QStringLiteral("Read settings from FILE (or %1).").arg(schema.configEnvName()));
    line(QStringLiteral("--print-config"), QStringLiteral("Print the effective settings and where each came from, then exit."));
    line(QStringLiteral("--print-default-config"), QStringLiteral("Print the documented example config file, then exit."));
    line(QStringLiteral("-h, --help"), QStringLiteral("Print this help, then exit."));
    line(QStringLiteral("-v, --version"), QStringLiteral("Print the version, then exit."));
    text += QLatin1Char('\n');
    for (const Key &key : schema.keys) {
        line(flagUsage(key), key.doc);
        const QString shown = displayValue(key, key.defaultValue);
        line(QString(), QStringLiteral("[%1, %2%3]")
                            .arg(key.name, schema.envName(key),
                                 shown.isEmpty() ? QString() : QString(QStringLiteral("; default ") + shown)));
    }
    return text;
}

}  // namespace fleetdeck::config
