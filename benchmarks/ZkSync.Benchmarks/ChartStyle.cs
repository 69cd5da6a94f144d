using ScottPlot;
using ScottPlot.Plottables;

namespace ZkSync.Benchmarks;

/// <summary>
/// How every curve chart draws a library's line in one fsync mode: one colour per library; fsync off a lighter shade,
/// dashed, with open markers, so that the two modes differ in the legend too, where a dash pattern is too short to see.
/// </summary>
internal static class ChartStyle
{
    private static readonly ScottPlot.Palettes.Category10 s_palette = new();

    /// <summary>Styles <paramref name="line"/> as library number <paramref name="library"/> in fsync mode <paramref name="fsync"/> ("on" or "off").</summary>
    public static void Apply(Scatter line, int library, string fsync, string legend, bool markers = true)
    {
        var off = fsync == "off";
        var colour = s_palette.GetColor(library);
        line.Color = off ? colour.Lighten(0.35) : colour;
        line.LineWidth = 2;
        line.LinePattern = off ? LinePattern.Dashed : LinePattern.Solid;
        line.MarkerShape = off ? MarkerShape.OpenSquare : MarkerShape.FilledCircle;
        line.MarkerSize = markers ? 7 : 0;
        line.LegendText = $"{legend} (fsync {fsync})";
    }
}
