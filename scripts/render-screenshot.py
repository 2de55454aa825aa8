#!/usr/bin/env python3
"""Renders a terminal capture with ANSI colours (`tmux capture-pane -e -p`) as a PNG.

Usage: render-screenshot.py IN.ansi OUT.png [--cols N] [--rows N] [--font-size PX]

Understands SGR: reset, bold, dim, italic, underline, reverse, strikethrough, the 16
colours (30-37, 90-97, 40-47, 100-107), 256 colours (38;5;N) and 24-bit colours
(38;2;R;G;B, also with ':' separators), default fg/bg (39/49). Other escape sequences
are skipped. Every character is drawn at its own cell (the cell width is the advance
of "M"), and box drawing lines and full/half blocks are drawn as rectangles, so they
join across cells without seams.
"""

import argparse
import re
import sys
import unicodedata

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:
    sys.exit(
        "render-screenshot.py needs Pillow (the Python Imaging Library): "
        "pip install pillow"
    )

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONTS = {
    (False, False): "DejaVuSansMono.ttf",
    (True, False): "DejaVuSansMono-Bold.ttf",
    (False, True): "DejaVuSansMono-Oblique.ttf",
    (True, True): "DejaVuSansMono-BoldOblique.ttf",
}
FALLBACK = "DejaVuSans.ttf"

BACKGROUND = (0x1E, 0x1E, 0x2E)
FOREGROUND = (0xD4, 0xD4, 0xD4)
PADDING = 16  # px around the terminal

# An xterm-like 16-colour palette (VS Code's terminal values: legible on a dark background).
PALETTE16 = [
    (0x00, 0x00, 0x00), (0xCD, 0x31, 0x31), (0x0D, 0xBC, 0x79), (0xE5, 0xE5, 0x10),
    (0x24, 0x72, 0xC8), (0xBC, 0x3F, 0xBC), (0x11, 0xA8, 0xCD), (0xE5, 0xE5, 0xE5),
    (0x66, 0x66, 0x66), (0xF1, 0x4C, 0x4C), (0x23, 0xD1, 0x8B), (0xF5, 0xF5, 0x43),
    (0x3B, 0x8E, 0xEA), (0xD6, 0x70, 0xD6), (0x29, 0xB8, 0xDB), (0xFF, 0xFF, 0xFF),
]


def color256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    level = 8 + 10 * (n - 232)
    return (level, level, level)


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse", "strike", "hidden")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None  # None: the default colour
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = False
        self.reverse = self.strike = self.hidden = False

    def copy(self):
        other = Style()
        for name in self.__slots__:
            setattr(other, name, getattr(self, name))
        return other

    def apply(self, params):
        """Applies one SGR parameter string such as '1;38;5;12' or '38:2::255:0:0'."""
        # Split on ';' into groups; a group may carry ':' sub-parameters.
        groups = [g for g in params.split(";")] if params else ["0"]
        # Flatten, remembering colon groups as lists.
        items = []
        for g in groups:
            if ":" in g:
                items.append([p for p in g.split(":")])
            else:
                items.append(g)
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, list):  # 38:5:N, 38:2::R:G:B, 38:2:R:G:B, 4:3 ...
                head = int(item[0] or 0)
                if head in (38, 48, 58):
                    color = parse_extended(item[1:])
                    if head == 38:
                        self.fg = color
                    elif head == 48:
                        self.bg = color
                elif head == 4:
                    self.underline = (item[1] or "0") != "0"
                i += 1
                continue
            code = int(item or 0)
            if code in (38, 48, 58):
                rest = items[i + 1 :]
                color, used = parse_extended_semicolons(rest)
                if code == 38:
                    self.fg = color
                elif code == 48:
                    self.bg = color
                i += 1 + used
                continue
            self.simple(code)
            i += 1

    def simple(self, code):
        if code == 0:
            self.reset()
        elif code == 1:
            self.bold = True
        elif code == 2:
            self.dim = True
        elif code == 3:
            self.italic = True
        elif code == 4:
            self.underline = True
        elif code == 7:
            self.reverse = True
        elif code == 8:
            self.hidden = True
        elif code == 9:
            self.strike = True
        elif code == 21:
            self.underline = True  # double underline, drawn single
        elif code == 22:
            self.bold = self.dim = False
        elif code == 23:
            self.italic = False
        elif code == 24:
            self.underline = False
        elif code == 27:
            self.reverse = False
        elif code == 28:
            self.hidden = False
        elif code == 29:
            self.strike = False
        elif 30 <= code <= 37:
            self.fg = PALETTE16[code - 30]
        elif code == 39:
            self.fg = None
        elif 40 <= code <= 47:
            self.bg = PALETTE16[code - 40]
        elif code == 49:
            self.bg = None
        elif 90 <= code <= 97:
            self.fg = PALETTE16[code - 90 + 8]
        elif 100 <= code <= 107:
            self.bg = PALETTE16[code - 100 + 8]
        # 5/6 blink, 53 overline, fonts...: ignored

    def colors(self):
        fg = self.fg if self.fg is not None else FOREGROUND
        bg = self.bg if self.bg is not None else BACKGROUND
        if self.reverse:
            fg, bg = bg, fg
        if self.dim:
            fg = tuple((c + b) // 2 for c, b in zip(fg, bg))
        if self.hidden:
            fg = bg
        return fg, bg


def parse_extended(parts):
    """Colon form after 38: ['5', N] or ['2', '', R, G, B] or ['2', R, G, B]."""
    if not parts:
        return None
    kind = parts[0]
    if kind == "5" and len(parts) >= 2:
        return color256(int(parts[1] or 0) % 256)
    if kind == "2":
        rgb = parts[-3:] if len(parts) >= 4 else None
        if rgb:
            return tuple(int(c or 0) % 256 for c in rgb)
    return None


def parse_extended_semicolons(rest):
    """Semicolon form: 38;5;N or 38;2;R;G;B. Returns (colour, items used)."""
    if not rest or isinstance(rest[0], list):
        return None, 0
    kind = rest[0]
    if kind == "5" and len(rest) >= 2:
        return color256(int(rest[1] or 0) % 256), 2
    if kind == "2" and len(rest) >= 4:
        return tuple(int(c or 0) % 256 for c in rest[1:4]), 4
    return None, 1


ESCAPE = re.compile(
    r"\x1b\[([0-9;:?<=>]*)([ -/]*)([@-~])"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
)


def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text):
    """Lines of cells: (char, Style) with None for the right half of a wide character."""
    style = Style()
    lines = []
    for raw in text.split("\n"):
        cells = []
        pos = 0
        for m in ESCAPE.finditer(raw):
            add_text(cells, raw[pos : m.start()], style)
            pos = m.end()
            if m.group(3) == "m" and not m.group(2) and not (m.group(1) or "").startswith("?"):
                style.apply(m.group(1))
        add_text(cells, raw[pos:], style)
        lines.append(cells)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def add_text(cells, text, style):
    for ch in text:
        if ch == "\r":
            continue
        if ch == "\t":
            for _ in range(8 - len(cells) % 8):
                cells.append((" ", style.copy()))
            continue
        if ord(ch) < 32:
            continue
        width = char_width(ch)
        if width == 0:
            if cells:
                prev, st = cells[-1]
                cells[-1] = ((prev or "") + ch, st)
            continue
        cells.append((ch, style.copy()))
        if width == 2:
            cells.append((None, style.copy()))


class Fonts:
    def __init__(self, size):
        self.size = size
        self.faces = {
            key: ImageFont.truetype(f"{FONT_DIR}/{name}", size) for key, name in FONTS.items()
        }
        self.fallback = ImageFont.truetype(f"{FONT_DIR}/{FALLBACK}", size)
        regular = self.faces[(False, False)]
        self.cell_w = round(regular.getlength("M"))
        ascent, descent = regular.getmetrics()
        self.cell_h = ascent + descent
        self.ascent = ascent
        self.missing = {}
        self._notdef = {id(f): self._bitmap(f, "\uffff") for f in (regular, self.fallback)}

    @staticmethod
    def _bitmap(face, ch):
        mask = face.getmask(ch)
        return mask.size, list(mask)

    def has(self, face, ch):
        key = (id(face), ch)
        if key not in self.missing:
            self.missing[key] = self._bitmap(face, ch) == self._notdef[id(face)]
        return not self.missing[key]

    def face_for(self, ch, bold, italic):
        face = self.faces[(bold, italic)]
        if len(ch) > 1 or self.has(self.faces[(False, False)], ch[0]):
            return face
        if self.has(self.fallback, ch[0]):
            return self.fallback
        return face


# Block elements drawn as rectangles (fractions of the cell: x0, y0, x1, y1).
BLOCKS = {
    "█": (0, 0, 1, 1),
    "▀": (0, 0, 1, 0.5),
    "▄": (0, 0.5, 1, 1),
    "▌": (0, 0, 0.5, 1),
    "▐": (0.5, 0, 1, 1),
    "▔": (0, 0, 1, 0.125),
    "▁": (0, 0.875, 1, 1),
}
SHADES = {"░": 0.25, "▒": 0.5, "▓": 0.75}

# Box drawing drawn as rectangles, so lines join across cells with no seam. Each entry is
# the weight of the arm going (up, right, down, left): 1 light, 2 heavy, 3 double.
BOX = {}
for chars, weight in (("─│┌┐└┘├┤┬┴┼", 1), ("━┃┏┓┗┛┣┫┳┻╋", 2), ("═║╔╗╚╝╠╣╦╩╬", 3)):
    for ch, arms in zip(
        chars,
        [(0, 1, 0, 1), (1, 0, 1, 0), (0, 1, 1, 0), (0, 0, 1, 1), (1, 1, 0, 0), (1, 0, 0, 1),
         (1, 1, 1, 0), (1, 0, 1, 1), (0, 1, 1, 1), (1, 1, 0, 1), (1, 1, 1, 1)],
    ):
        BOX[ch] = tuple(a * weight for a in arms)
BOX.update({"╴": (0, 0, 0, 1), "╵": (1, 0, 0, 0), "╶": (0, 1, 0, 0), "╷": (0, 0, 1, 0),
            "╸": (0, 0, 0, 2), "╹": (2, 0, 0, 0), "╺": (0, 2, 0, 0), "╻": (0, 0, 2, 0)})
ROUNDED = {"╭": (0, 1, 1, 0), "╮": (0, 0, 1, 1), "╯": (1, 0, 0, 1), "╰": (1, 1, 0, 0)}


def draw_box(draw, ch, x0, y0, cw, chh, fill):
    light = max(1, round(cw / 6))
    heavy = light * 2
    cx, cy = x0 + cw // 2, y0 + chh // 2
    x1, y1 = x0 + cw - 1, y0 + chh - 1

    def vline(x, t, top, bottom):
        a = x - t // 2
        draw.rectangle([a, top, a + t - 1, bottom], fill=fill)

    def hline(y, t, left, right):
        a = y - t // 2
        draw.rectangle([left, a, right, a + t - 1], fill=fill)

    if ch in ROUNDED:
        up, right, down, left = ROUNDED[ch]
        r = (min(cw, chh) - 1) // 2
        sx = 1 if right else -1
        sy = 1 if down else -1
        # The arc's centre is r away from the cell centre, towards the two arms.
        ax, ay = cx + sx * r, cy + sy * r
        box = [ax - r - light // 2, ay - r - light // 2, ax + r + (light - light // 2) - 1,
               ay + r + (light - light // 2) - 1]
        start = {(1, 1): 180, (-1, 1): 270, (-1, -1): 0, (1, -1): 90}[(sx, sy)]
        draw.arc(box, start, start + 90, fill=fill, width=light)
        if right:
            hline(cy, light, ax, x1)
        if left:
            hline(cy, light, x0, ax)
        if down:
            vline(cx, light, ay, y1)
        if up:
            vline(cx, light, y0, ay)
        return

    up, right, down, left = BOX[ch]
    if 3 not in (up, right, down, left):
        width = {0: 0, 1: light, 2: heavy}
        # Each arm runs from its edge to the far side of the crossing arms, so joints are
        # filled and nothing sticks out.
        cross_v = max(width[left], width[right])  # what vertical arms must cover
        cross_h = max(width[up], width[down])
        if up:
            vline(cx, width[up], y0, cy + cross_v - cross_v // 2 - 1 if cross_v else cy)
        if down:
            vline(cx, width[down], cy - cross_v // 2 if cross_v else cy, y1)
        if left:
            hline(cy, width[left], x0, cx + cross_h - cross_h // 2 - 1 if cross_h else cx)
        if right:
            hline(cy, width[right], cx - cross_h // 2 if cross_h else cx, x1)
        return

    # Double lines: two light lines `gap` either side of the centre line.
    gap = light + 1
    for arm, vertical, toward_edge in ((up, True, -1), (down, True, 1), (left, False, -1),
                                       (right, False, 1)):
        if not arm:
            continue
        across = (left, right) if vertical else (up, down)  # arms on either side
        for side in (-1, 1):
            if across[0 if side < 0 else 1]:
                end = gap  # stop at the inner line of the crossing arm
            elif any(across):
                end = -gap  # reach the outer line of the crossing arm
            else:
                end = 0
            if vertical:
                y_from = cy + toward_edge * end
                span = (y0, y_from) if toward_edge < 0 else (y_from, y1)
                vline(cx + side * gap, light, min(span), max(span))
            else:
                x_from = cx + toward_edge * end
                span = (x0, x_from) if toward_edge < 0 else (x_from, x1)
                hline(cy + side * gap, light, min(span), max(span))


def render(lines, cols, rows, fonts, out):
    cw, chh = fonts.cell_w, fonts.cell_h
    width = cols * cw + 2 * PADDING
    height = rows * chh + 2 * PADDING
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    # Backgrounds first, so glyphs that overhang their cell are not cut by the next cell.
    for y, cells in enumerate(lines[:rows]):
        for x, (ch, style) in enumerate(cells[:cols]):
            fg, bg = style.colors()
            if bg != BACKGROUND:
                x0, y0 = PADDING + x * cw, PADDING + y * chh
                draw.rectangle([x0, y0, x0 + cw - 1, y0 + chh - 1], fill=bg)
    for y, cells in enumerate(lines[:rows]):
        for x, (ch, style) in enumerate(cells[:cols]):
            if ch is None:
                continue
            fg, bg = style.colors()
            x0, y0 = PADDING + x * cw, PADDING + y * chh
            span = 2 if x + 1 < len(cells) and cells[x + 1][0] is None else 1
            if ch in BLOCKS:
                fx0, fy0, fx1, fy1 = BLOCKS[ch]
                draw.rectangle(
                    [x0 + round(fx0 * cw), y0 + round(fy0 * chh),
                     x0 + round(fx1 * cw) - 1, y0 + round(fy1 * chh) - 1],
                    fill=fg,
                )
            elif ch in BOX or ch in ROUNDED:
                draw_box(draw, ch, x0, y0, cw, chh, fg)
            elif ch in SHADES:
                a = SHADES[ch]
                shade = tuple(round(f * a + b * (1 - a)) for f, b in zip(fg, bg))
                draw.rectangle([x0, y0, x0 + cw - 1, y0 + chh - 1], fill=shade)
            elif ch != " ":
                face = fonts.face_for(ch, style.bold, style.italic)
                if face is fonts.fallback:
                    # A proportional glyph: centre it in its cell(s).
                    offset = (span * cw - face.getlength(ch)) / 2
                    draw.text((x0 + offset, y0), ch, font=face, fill=fg)
                else:
                    draw.text((x0, y0), ch, font=face, fill=fg)
            if style.underline:
                uy = y0 + fonts.ascent + 2
                draw.line([x0, uy, x0 + span * cw - 1, uy], fill=fg)
            if style.strike:
                sy = y0 + chh // 2
                draw.line([x0, sy, x0 + span * cw - 1, sy], fill=fg)
    # Few colours: a palette PNG is a fraction of the size and looks the same.
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(out, optimize=True)
    return width, height


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="text with ANSI escapes (tmux capture-pane -e -p)")
    parser.add_argument("output", help="PNG to write")
    parser.add_argument("--cols", type=int, help="terminal width (default: the widest line)")
    parser.add_argument("--rows", type=int, help="terminal height (default: the line count)")
    parser.add_argument("--font-size", type=int, default=20, help="pixels (default 20)")
    args = parser.parse_args()
    with open(args.input, encoding="utf-8", errors="replace") as f:
        lines = parse(f.read())
    cols = args.cols or max((len(l) for l in lines), default=1)
    rows = args.rows or max(len(lines), 1)
    fonts = Fonts(args.font_size)
    w, h = render(lines, cols, rows, fonts, args.output)
    print(f"render-screenshot.py: {args.output} ({w}x{h}, {cols}x{rows} cells)", file=sys.stderr)


if __name__ == "__main__":
    main()
