#pragma once

#include <QColor>
#include <QImage>
#include <QRect>

#include <array>
#include <vector>

namespace fleetdeck {

// The pictures RobotLayer draws its aggregates with, painted once per theme into one image: ringed,
// anti-aliased discs in every fill colour at a few sizes, and the digits of their counts in a dark
// and a light ink. A disc or a digit then costs one textured quad, two triangles, where a tessellated
// disc and a vector-font label cost a hundred: software rasterizers (llvmpipe) pay per triangle.
// A plain value (QtGui only); build it on the main thread, which renders text.
class ClusterAtlas
{
public:
    // Disc radii in pixels, ring excluded; a disc is drawn at the nearest.
    static constexpr std::array<int, 7> kRadii{8, 10, 13, 16, 20, 25, 31};
    static constexpr int kRingPx = 2;
    // Digits 0-9, then 'k' for thousands.
    static constexpr int kGlyphCount = 11;
    static constexpr int kGlyphK = 10;

    // One disc kind per colour in `fills` (straight alpha), ringed with `outline`.
    ClusterAtlas(const std::vector<QColor> &fills, const QColor &outline, const QColor &darkInk,
                 const QColor &lightInk);

    [[nodiscard]] const QImage &image() const { return m_image; }
    [[nodiscard]] static int radiusIndex(float radius);
    // Where a disc is in the image; its centre is the rectangle's centre.
    [[nodiscard]] QRect disc(int kind, int radiusIndex) const;
    // Where a glyph is, one text line high; its advance is the rectangle's width.
    [[nodiscard]] QRect glyph(int glyph, bool darkInk) const;
    [[nodiscard]] int lineHeight() const { return m_lineHeight; }
    // The glyphs of a count: up to four digits, then thousands with a k ("12k"). Returns how many.
    [[nodiscard]] static int glyphsOf(int count, std::array<int, 6> *glyphs);

private:
    QImage m_image;
    int m_kinds = 0;
    int m_columns = 0;
    std::array<int, kRadii.size()> m_rowTop{};  // first row of each radius
    int m_glyphTop = 0;
    int m_lineHeight = 0;
    std::array<int, kGlyphCount> m_glyphLeft{};
    std::array<int, kGlyphCount> m_glyphWidth{};
};

}  // namespace fleetdeck
