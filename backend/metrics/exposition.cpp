#include "exposition.h"

#include <QHash>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace fleetdeck::metrics {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLabelStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isLabelChar(char c) { return isLabelStart(c) || isDigit(c); }
bool isNameStart(char c) { return isLabelStart(c) || c == ':'; }
bool isNameChar(char c) { return isLabelChar(c) || c == ':'; }

bool equalsIgnoreCase(const char *b, const char *e, const char *lower)
{
    const auto n = std::strlen(lower);
    if (std::size_t(e - b) != n)
        return false;
    for (std::size_t i = 0; i < n; ++i) {
        char c = b[i];
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

QByteArrayView view(const char *b, const char *e) { return QByteArrayView(b, e - b); }

const char *skipBlanks(const char *p, const char *e)
{
    while (p < e && isBlank(*p))
        ++p;
    return p;
}

const char *token(const char *p, const char *e)
{
    while (p < e && !isBlank(*p))
        ++p;
    return p;
}

std::optional<qint64> parseTimestamp(const char *b, const char *e)
{
    if (b < e && *b == '+')
        ++b;
    if (b == e)
        return std::nullopt;
    qint64 value = 0;
    const auto [ptr, ec] = std::from_chars(b, e, value);
    if (ec != std::errc() || ptr != e)
        return std::nullopt;
    return value;
}

std::optional<MetricType> parseType(const char *b, const char *e)
{
    const QByteArrayView word = view(b, e);
    if (word == "counter")
        return MetricType::Counter;
    if (word == "gauge")
        return MetricType::Gauge;
    if (word == "histogram")
        return MetricType::Histogram;
    if (word == "summary")
        return MetricType::Summary;
    if (word == "untyped")
        return MetricType::Untyped;
    return std::nullopt;
}

// HELP keeps unknown escapes verbatim, as Prometheus does: it is only shown to people.
QByteArray unescapeHelp(const char *b, const char *e)
{
    QByteArray out;
    out.reserve(e - b);
    for (const char *p = b; p < e; ++p) {
        if (*p == '\\' && p + 1 < e && (p[1] == '\\' || p[1] == 'n')) {
            ++p;
            out += *p == 'n' ? '\n' : '\\';
        } else {
            out += *p;
        }
    }
    return out;
}

QString latin1(QByteArrayView name) { return QString::fromLatin1(name.data(), name.size()); }

class Parser
{
public:
    explicit Parser(Exposition &out) : m_out(out) {}

    void parseLine(qint64 lineNumber, const char *b, const char *e)
    {
        m_line = int(std::min<qint64>(lineNumber, std::numeric_limits<int>::max()));
        if (b < e && e[-1] == '\r')
            --e;
        b = skipBlanks(b, e);
        if (b == e)
            return;
        if (*b == '#')
            comment(b + 1, e);
        else
            sample(b, e);
    }

private:
    // Per-family bookkeeping the output struct does not carry.
    struct State
    {
        bool help = false;
        bool type = false;
        bool samples = false;
    };

    void error(const QString &message)
    {
        const auto n = int(m_out.errors.size());
        if (n < kMaxParseErrors)
            m_out.errors.push_back({m_line, message});
        else if (n == kMaxParseErrors)
            m_out.errors.push_back({m_line, QStringLiteral("too many errors; later ones are not reported")});
    }

    int familyIndex(const QByteArray &name)
    {
        const auto it = m_index.constFind(name);
        if (it != m_index.constEnd())
            return *it;
        const int index = int(m_out.families.size());
        Family family;
        family.name = name;
        m_out.families.push_back(std::move(family));
        m_state.push_back({});
        m_index.insert(name, index);
        return index;
    }

    void comment(const char *p, const char *e)
    {
        if (p == e || !isBlank(*p))
            return;  // "#HELP" is a plain comment, as in Prometheus
        p = skipBlanks(p, e);
        const char *keywordEnd = token(p, e);
        const QByteArrayView keyword = view(p, keywordEnd);
        const bool isHelp = keyword == "HELP";
        if (!isHelp && keyword != "TYPE")
            return;
        p = skipBlanks(keywordEnd, e);
        const char *nameEnd = p;
        if (nameEnd < e && isNameStart(*nameEnd))
            while (++nameEnd < e && isNameChar(*nameEnd)) {
            }
        if (nameEnd == p || (nameEnd < e && !isBlank(*nameEnd))) {
            error(isHelp ? QStringLiteral("HELP: invalid metric name") : QStringLiteral("TYPE: invalid metric name"));
            return;
        }
        const QByteArray name(p, nameEnd - p);
        p = skipBlanks(nameEnd, e);
        if (isHelp) {
            const int index = familyIndex(name);
            if (m_state[index].help) {
                error(QStringLiteral("duplicate HELP for ") + latin1(name));
                return;
            }
            m_state[index].help = true;
            m_out.families[index].help = unescapeHelp(p, e);
            return;
        }
        const char *typeEnd = token(p, e);
        const auto type = parseType(p, typeEnd);
        if (!type || skipBlanks(typeEnd, e) != e) {
            error(QStringLiteral("TYPE: unknown metric type"));
            return;
        }
        const auto existing = m_index.constFind(name);
        if (existing != m_index.constEnd()) {
            const State &state = m_state[*existing];
            if (state.type) {
                error(QStringLiteral("duplicate TYPE for ") + latin1(name));
                return;
            }
            if (state.samples) {
                error(QStringLiteral("TYPE after samples of ") + latin1(name));
                return;
            }
        }
        const int index = familyIndex(name);
        m_state[index].type = true;
        m_out.families[index].type = *type;
        m_lastFamily = -1;  // x_count may now belong to a new histogram x
    }

    // Label names and values usually repeat the previous sample's (a histogram's buckets differ only
    // in `le`): sharing them saves most of the parse's allocations.
    QByteArray reuse(QByteArrayView text, std::size_t position, bool isName) const
    {
        if (m_prev && position < m_prev->size()) {
            const QByteArray &candidate = isName ? (*m_prev)[position].first : (*m_prev)[position].second;
            if (candidate == text)
                return candidate;
        }
        return text.toByteArray();
    }

    // Returns nullptr (after recording the error) when the label set is malformed.
    const char *labels(const char *p, const char *e, Labels &out)
    {
        for (;;) {
            p = skipBlanks(p, e);
            if (p < e && *p == '}')
                return p + 1;
            const char *nameBegin = p;
            if (p < e && isLabelStart(*p))
                while (++p < e && isLabelChar(*p)) {
                }
            if (p == nameBegin) {
                error(p == e ? QStringLiteral("unterminated label set") : QStringLiteral("invalid label name"));
                return nullptr;
            }
            const QByteArrayView name = view(nameBegin, p);
            p = skipBlanks(p, e);
            if (p == e || *p != '=') {
                error(QStringLiteral("expected '=' after label ") + latin1(name));
                return nullptr;
            }
            p = skipBlanks(p + 1, e);
            if (p == e || *p != '"') {
                error(QStringLiteral("expected '\"' to open the value of label ") + latin1(name));
                return nullptr;
            }
            const char *valueBegin = ++p;
            bool escaped = false;
            while (p < e && *p != '"') {
                if (*p == '\\') {
                    if (p + 1 == e) {
                        p = e;
                        break;
                    }
                    const char next = p[1];
                    if (next != '\\' && next != '"' && next != 'n') {
                        error(QStringLiteral("invalid escape in the value of label ") + latin1(name));
                        return nullptr;
                    }
                    escaped = true;
                    ++p;
                }
                ++p;
            }
            if (p == e) {
                error(QStringLiteral("unterminated value of label ") + latin1(name));
                return nullptr;
            }
            const std::size_t position = out.size();
            QByteArray value;
            if (escaped) {
                m_scratch.clear();
                for (const char *q = valueBegin; q < p; ++q) {
                    if (*q == '\\') {
                        ++q;
                        m_scratch += *q == 'n' ? '\n' : *q;
                    } else {
                        m_scratch += *q;
                    }
                }
                value = reuse(QByteArrayView(m_scratch), position, false);
            } else {
                value = reuse(view(valueBegin, p), position, false);
            }
            out.emplace_back(reuse(name, position, true), std::move(value));
            p = skipBlanks(p + 1, e);
            if (p < e && *p == ',') {
                ++p;
                continue;
            }
            if (p < e && *p == '}')
                return p + 1;
            error(p == e ? QStringLiteral("unterminated label set") : QStringLiteral("expected ',' or '}' in label set"));
            return nullptr;
        }
    }

    // The family a sample named `name` belongs to, or -1 (error recorded) when it cannot be placed.
    int familyOfSample(const QByteArray &name)
    {
        if (m_lastFamily >= 0 && name == m_lastName)
            return m_lastFamily;
        int index = -1;
        for (const QByteArrayView suffix : {QByteArrayView("_bucket"), QByteArrayView("_sum"), QByteArrayView("_count")}) {
            if (!name.endsWith(suffix))
                continue;
            // fromRawData: a lookup key without copying the name
            const auto base = m_index.constFind(QByteArray::fromRawData(name.constData(), name.size() - suffix.size()));
            if (base == m_index.constEnd())
                break;
            const MetricType type = m_out.families[*base].type;
            if (type == MetricType::Histogram || (type == MetricType::Summary && suffix != "_bucket"))
                index = *base;
            break;
        }
        if (index < 0) {
            index = familyIndex(name);
            if (m_out.families[index].type == MetricType::Histogram) {
                error(QStringLiteral("histogram ") + latin1(name) + QStringLiteral(" has a sample without _bucket/_sum/_count"));
                return -1;
            }
        }
        m_lastFamily = index;
        m_lastName = name;
        return index;
    }

    void sample(const char *p, const char *e)
    {
        const char *nameBegin = p;
        if (isNameStart(*p))
            while (++p < e && isNameChar(*p)) {
            }
        if (p == nameBegin || (p < e && !isBlank(*p) && *p != '{')) {
            error(QStringLiteral("invalid metric name"));
            return;
        }
        const QByteArrayView nameView = view(nameBegin, p);
        Sample sample;
        sample.name = m_lastFamily >= 0 && m_lastName == nameView ? m_lastName : nameView.toByteArray();
        p = skipBlanks(p, e);
        if (p < e && *p == '{') {
            p = labels(p + 1, e, sample.labels);
            if (!p)
                return;
            p = skipBlanks(p, e);
        }
        const char *valueEnd = token(p, e);
        if (valueEnd == p) {
            error(QStringLiteral("missing value"));
            return;
        }
        const auto value = parseValue(view(p, valueEnd));
        if (!value) {
            error(QStringLiteral("invalid value"));
            return;
        }
        sample.value = *value;
        p = skipBlanks(valueEnd, e);
        if (p < e) {
            const char *timestampEnd = token(p, e);
            sample.timestampMs = parseTimestamp(p, timestampEnd);
            if (!sample.timestampMs) {
                error(QStringLiteral("invalid timestamp"));
                return;
            }
            if (skipBlanks(timestampEnd, e) != e) {
                error(QStringLiteral("unexpected text after the timestamp"));
                return;
            }
        }
        Labels &labels = sample.labels;
        const auto byName = [](const auto &a, const auto &b) { return a.first < b.first; };
        if (!std::is_sorted(labels.begin(), labels.end(), byName))
            std::sort(labels.begin(), labels.end(), byName);
        const auto duplicate = std::adjacent_find(labels.begin(), labels.end(),
                                                  [](const auto &a, const auto &b) { return a.first == b.first; });
        if (duplicate != labels.end()) {
            error(QStringLiteral("duplicate label name ") + latin1(duplicate->first));
            return;
        }
        const int index = familyOfSample(sample.name);
        if (index < 0)
            return;
        Family &family = m_out.families[index];
        if (family.type == MetricType::Histogram && sample.name.size() == family.name.size() + 7
            && sample.name.endsWith("_bucket") && !labelAsDouble(labels, "le")) {
            error(QStringLiteral("histogram bucket without a numeric le label"));
            return;
        }
        m_state[index].samples = true;
        family.samples.push_back(std::move(sample));
        m_prev = &family.samples.back().labels;
    }

    Exposition &m_out;
    QHash<QByteArray, int> m_index;
    std::vector<State> m_state;
    int m_line = 0;
    int m_lastFamily = -1;
    QByteArray m_lastName;
    // Valid until the next push_back into any family: only read before that.
    const Labels *m_prev = nullptr;
    QByteArray m_scratch;
};

}  // namespace

std::optional<double> parseValue(QByteArrayView text)
{
    const char *b = text.data();
    const char *e = b + text.size();
    if (b == e)
        return std::nullopt;
    const bool negative = *b == '-';
    if (*b == '+' || *b == '-')
        ++b;
    if (b == e)
        return std::nullopt;
    if (equalsIgnoreCase(b, e, "inf") || equalsIgnoreCase(b, e, "infinity"))
        return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    if (equalsIgnoreCase(b, e, "nan"))
        return std::numeric_limits<double>::quiet_NaN();
    if (!isDigit(*b) && *b != '.')
        return std::nullopt;  // from_chars would take "nan(...)" and friends
    double value = 0;
    const auto [ptr, ec] = std::from_chars(b, e, value, std::chars_format::general);
    if (ptr != e)
        return std::nullopt;
    if (ec == std::errc::result_out_of_range) {
        // Underflow rounds to zero as in Go; overflow is an error there too.
        const QByteArrayView digits = view(b, e);
        if (!digits.contains("e-") && !digits.contains("E-"))
            return std::nullopt;
        value = 0;
    } else if (ec != std::errc()) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

const QByteArray *findLabel(const Labels &labels, QByteArrayView name)
{
    for (const auto &label : labels) {
        if (label.first == name)
            return &label.second;
    }
    return nullptr;
}

std::optional<double> labelAsDouble(const Labels &labels, QByteArrayView name)
{
    const QByteArray *value = findLabel(labels, name);
    if (!value)
        return std::nullopt;
    return parseValue(*value);
}

Exposition parseExposition(const QByteArray &text)
{
    Exposition out;
    Parser parser(out);
    const char *p = text.constData();
    const char *end = p + text.size();
    qint64 line = 0;
    while (p < end) {
        ++line;
        const auto *newline = static_cast<const char *>(std::memchr(p, '\n', std::size_t(end - p)));
        const char *lineEnd = newline ? newline : end;
        parser.parseLine(line, p, lineEnd);
        p = newline ? newline + 1 : end;
    }
    return out;
}

}  // namespace fleetdeck::metrics
