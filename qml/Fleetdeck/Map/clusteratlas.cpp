#include "clusteratlas.h"

#include <QFont>
#include <QFontMetrics>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace fleetdeck {
namespace {

// Kinds per atlas row: the image stays narrow enough for any GPU's (and WebGL's) texture limits.
constexpr int kColumns = 11;

int cellSize(int radiusIndex)
{
    // Ring both sides, and a pixel of air so linear sampling never picks up a neighbour.
    return 2 * (ClusterAtlas::kRadii[static_cast<std::size_t>(radiusIndex)] + ClusterAtlas::kRingPx) + 2;
}

}  // namespace

ClusterAtlas::ClusterAtlas(const std::vector<QColor> &fills, const QColor &outline, const QColor &darkInk,
                           const QColor &lightInk)
    : m_kinds(static_cast<int>(fills.size()))
    , m_columns(std::max(1, std::min(kColumns, m_kinds)))
{
    QFont font;
    font.setPixelSize(11);
    font.setBold(true);
    const QFontMetrics metrics(font);
    m_lineHeight = metrics.height();
    const QString glyphs = QStringLiteral("0123456789k");
    int glyphRowWidth = 0;
    for (int g = 0; g < kGlyphCount; ++g) {
        m_glyphLeft[static_cast<std::size_t>(g)] = glyphRowWidth;
        m_glyphWidth[static_cast<std::size_t>(g)] = metrics.horizontalAdvance(glyphs.at(g));
        glyphRowWidth += m_glyphWidth[static_cast<std::size_t>(g)] + 1;
    }

    const int rowsPerRadius = (m_kinds + m_columns - 1) / m_columns;
    int top = 0;
    for (std::size_t r = 0; r < kRadii.size(); ++r) {
        m_rowTop[r] = top;
        top += rowsPerRadius * cellSize(static_cast<int>(r));
    }
    m_glyphTop = top;
    const int width = std::max(m_columns * cellSize(static_cast<int>(kRadii.size()) - 1), glyphRowWidth);
    m_image = QImage(width, top + 2 * (m_lineHeight + 1), QImage::Format_ARGB32_Premultiplied);
    m_image.fill(Qt::transparent);

    QPainter painter(&m_image);
    painter.setRenderHint(QPainter::Antialiasing);
    for (int r = 0; r < static_cast<int>(kRadii.size()); ++r) {
        const qreal radius = kRadii[static_cast<std::size_t>(r)];
        for (int kind = 0; kind < m_kinds; ++kind) {
            const QPointF centre = QRectF(disc(kind, r)).center();
            painter.setPen(Qt::NoPen);
            painter.setBrush(outline);
            painter.drawEllipse(centre, radius + kRingPx, radius + kRingPx);
            // The fill replaces the ring's inside rather than blending over it: lost robots' fill is
            // translucent and should look the same inside as a lost robot's pip.
            painter.setCompositionMode(QPainter::CompositionMode_Source);
            painter.setBrush(fills[static_cast<std::size_t>(kind)]);
            painter.drawEllipse(centre, radius, radius);
            painter.setCompositionMode(QPainter::CompositionMode_SourceOver);
        }
    }
    painter.setFont(font);
    for (int ink = 0; ink < 2; ++ink) {
        painter.setPen(ink == 0 ? darkInk : lightInk);
        for (int g = 0; g < kGlyphCount; ++g) {
            const QRect cell = glyph(g, ink == 0);
            painter.drawText(cell.left(), cell.top() + metrics.ascent(), glyphs.at(g));
        }
    }
}

int ClusterAtlas::radiusIndex(float radius)
{
    const auto distance = [radius](int r) { return std::abs(kRadii[static_cast<std::size_t>(r)] - radius); };
    int best = 0;
    for (int r = 1; r < static_cast<int>(kRadii.size()); ++r) {
        if (distance(r) < distance(best))
            best = r;
    }
    return best;
}

QRect ClusterAtlas::disc(int kind, int radiusIndex) const
{
    const int size = cellSize(radiusIndex);
    const int top = m_rowTop[static_cast<std::size_t>(radiusIndex)];
    return {(kind % m_columns) * size + 1, top + (kind / m_columns) * size + 1, size - 2, size - 2};
}

QRect ClusterAtlas::glyph(int glyph, bool darkInk) const
{
    return {m_glyphLeft[static_cast<std::size_t>(glyph)], m_glyphTop + (darkInk ? 0 : m_lineHeight + 1),
            m_glyphWidth[static_cast<std::size_t>(glyph)], m_lineHeight};
}

int ClusterAtlas::glyphsOf(int count, std::array<int, 6> *glyphs)
{
    const bool thousands = count > 9999;
    int value = std::max(0, thousands ? count / 1000 : count);
    std::array<int, 6> reversed{};
    int n = 0;
    do {
        reversed[static_cast<std::size_t>(n++)] = value % 10;
        value /= 10;
    } while (value > 0 && n < 5);
    for (int k = 0; k < n; ++k)
        (*glyphs)[static_cast<std::size_t>(k)] = reversed[static_cast<std::size_t>(n - 1 - k)];
    if (thousands)
        (*glyphs)[static_cast<std::size_t>(n++)] = kGlyphK;
    return n;
}

}  // namespace fleetdeck
