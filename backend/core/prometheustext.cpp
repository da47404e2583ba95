#include "prometheustext.h"

#include <QLocale>

#include <cmath>

namespace fleetdeck {
namespace {

QByteArray number(double value)
{
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (std::isnan(value))
        return "NaN";
    return QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
}

QByteArray escapeLabel(const QByteArray &value)
{
    QByteArray out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

}  // namespace

void PrometheusText::declare(const QByteArray &name, const QByteArray &help, const char *type)
{
    if (m_declared.contains(name))
        return;
    m_declared.insert(name);
    m_out += "# HELP " + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
}

void PrometheusText::sample(const QByteArray &name, double value, const Labels &labels)
{
    m_out += name;
    if (!labels.isEmpty()) {
        m_out += '{';
        for (int i = 0; i < labels.size(); ++i) {
            if (i)
                m_out += ',';
            m_out += labels[i].first + "=\"" + escapeLabel(labels[i].second) + '"';
        }
        m_out += '}';
    }
    m_out += ' ' + number(value) + '\n';
}

void PrometheusText::counter(const QByteArray &name, const QByteArray &help, double value, const Labels &labels)
{
    declare(name, help, "counter");
    sample(name, value, labels);
}

void PrometheusText::gauge(const QByteArray &name, const QByteArray &help, double value, const Labels &labels)
{
    declare(name, help, "gauge");
    sample(name, value, labels);
}

void PrometheusText::untyped(const QByteArray &name, const QByteArray &help, double value, const Labels &labels)
{
    declare(name, help, "untyped");
    sample(name, value, labels);
}

void PrometheusText::histogram(const QByteArray &name, const QByteArray &help, const Histogram &h,
                               const Labels &labels)
{
    declare(name, help, "histogram");
    const QByteArray bucket = name + "_bucket";
    Labels withLe = labels;
    withLe.append({"le", QByteArray()});
    quint64 cumulative = 0;
    for (std::size_t i = 0; i < h.upperBounds().size(); ++i) {
        cumulative += h.bucketCounts()[i];
        withLe.last().second = number(h.upperBounds()[i]);
        sample(bucket, double(cumulative), withLe);
    }
    withLe.last().second = "+Inf";
    sample(bucket, double(h.count()), withLe);
    sample(name + "_sum", h.sum(), labels);
    sample(name + "_count", double(h.count()), labels);
}

}  // namespace fleetdeck
