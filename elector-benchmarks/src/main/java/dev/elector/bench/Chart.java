package dev.elector.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNG: one panel per scenario group, each the latency distribution (CDF) of Elector and its peers. */
final class Chart {
  private static final int W = 800;
  private static final int H = 520;

  /** One panel: a title, the rows it plots, and whether the latency axis is logarithmic. */
  record Panel(String title, List<Row> rows, boolean log) {}

  /** One colour per contender across panels; churn variants are dashed. */
  private static Color color(String who) {
    return switch (who) {
      case "Elector" -> new Color(0x1F, 0x5F, 0xD0);
      case "Curator LeaderLatch" -> new Color(0xE0, 0x8A, 0x10);
      case "Curator LeaderSelector" -> new Color(0x9A, 0x3F, 0xC8);
      case "jetcd Election" -> new Color(0x2E, 0x9E, 0x4A);
      default -> Color.DARK_GRAY;
    };
  }

  private Chart() {}

  static void write(Path file, String heading, List<Panel> panels) {
    List<Panel> shown = panels.stream().filter(p -> p.rows().stream().anyMatch(r -> !r.empty())).toList();
    if (shown.isEmpty()) {
      return;
    }
    int cols = 2;
    int rowsN = (shown.size() + cols - 1) / cols;
    BufferedImage img = new BufferedImage(cols * W, rowsN * H + 40, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(g.getFont().deriveFont(18f));
    g.drawString(heading, 20, 28);
    for (int i = 0; i < shown.size(); i++) {
      BufferedImage panel = BitmapEncoder.getBufferedImage(chart(shown.get(i)));
      g.drawImage(panel, (i % cols) * W, 40 + (i / cols) * H, null);
    }
    g.dispose();
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      ImageIO.write(img, "png", file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write chart " + file, e);
    }
  }

  /** The words of a scenario name that tell variants apart (steady, churn, close, resign). */
  private static String variant(String scenario) {
    StringBuilder sb = new StringBuilder();
    for (String w : new String[] {"close", "resign", "steady", "churn"}) {
      if (scenario.contains(w)) {
        sb.append(sb.length() == 0 ? "" : " ").append(w);
      }
    }
    return sb.length() == 0 ? scenario : sb.toString();
  }

  private static XYChart chart(Panel p) {
    XYChart c = new XYChartBuilder().width(W).height(H).title(p.title())
        .xAxisTitle(p.log() ? "latency (ms, log scale)" : "latency (ms)")
        .yAxisTitle("fraction of trials at or below").build();
    c.getStyler().setXAxisLogarithmic(p.log());
    c.getStyler().setYAxisDecimalPattern("0.0");
    c.getStyler().setYAxisTickMarkSpacingHint(60);
    c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
    c.getStyler().setChartBackgroundColor(Color.WHITE);
    c.getStyler().setYAxisMin(0.0);
    c.getStyler().setYAxisMax(1.0);
    c.getStyler().setXAxisDecimalPattern(p.log() ? "0.##" : "0");
    for (Row r : p.rows()) {
      if (r.empty()) {
        continue;
      }
      long[] v = r.values();
      Arrays.sort(v);
      double[] x = new double[v.length];
      double[] y = new double[v.length];
      for (int i = 0; i < v.length; i++) {
        x[i] = Math.max(v[i], 1_000) / 1e6;
        y[i] = (i + 1) / (double) v.length;
      }
      boolean twice = p.rows().stream().filter(o -> o.who().equals(r.who())).count() > 1;
      String label = r.who() + (twice ? ", " + variant(r.scenario()) : "")
          + " (p50 " + r.unit().format(r.median()) + " ms)";
      var s = c.addSeries(label, x, y);
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(color(r.who()));
      s.setLineWidth(r.elector() ? 3f : 2f);
      if (r.scenario().contains("churn")) {
        s.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
      }
    }
    return c;
  }
}
