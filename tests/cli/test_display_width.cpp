// The width of report text on a terminal, in cells, and cutting a name to a
// width: wide East Asian characters take two cells, combining marks none,
// and bytes that are not UTF-8 one each, without reading past the text.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "cli/report.h"

namespace {

using archsim::cli::display_width;
using archsim::cli::fit_to_width;

}  // namespace

TEST_CASE("ASCII takes one cell a character") {
  CHECK(display_width("") == 0);
  CHECK(display_width("web") == 3);
  CHECK(display_width("db-primary 3,990.1 qps") == 22);
}

TEST_CASE("Hangul syllables, CJK ideographs, kana and fullwidth forms take two cells") {
  CHECK(display_width("웹서버") == 6);
  CHECK(display_width("데이터베이스") == 12);
  CHECK(display_width("数据库") == 6);         // CJK unified ideographs
  CHECK(display_width("データ") == 6);         // katakana
  CHECK(display_width("ひらがな") == 8);       // hiragana
  CHECK(display_width("ＡＢ１") == 6);         // fullwidth Latin letters and digits
  CHECK(display_width("\u3000") == 2);         // ideographic space
  CHECK(display_width("\U00020000") == 2);     // CJK extension B, four bytes of UTF-8
  CHECK(display_width("web-서버") == 8);
}

TEST_CASE("Latin, Greek and Cyrillic letters and punctuation take one cell, however many bytes") {
  CHECK(display_width("café") == 4);
  CHECK(display_width("Ωμέγα") == 5);
  CHECK(display_width("база") == 4);
  CHECK(display_width("0.62–1.00") == 9);  // en dash: three bytes, one cell
  CHECK(display_width("…") == 1);
  CHECK(display_width("·") == 1);
}

TEST_CASE("common emoji take two cells") {
  CHECK(display_width("🚀") == 2);
  CHECK(display_width("😀") == 2);
  CHECK(display_width("⚡") == 2);
}

TEST_CASE("combining marks and zero-width characters take no cell") {
  CHECK(display_width("e\u0301") == 1);                // e + combining acute accent
  CHECK(display_width("cafe\u0301") == 4);
  CHECK(display_width("\u1112\u1161\u11AB") == 2);     // 한 spelt with conjoining jamo
  CHECK(display_width("a\u200Bb") == 2);               // zero-width space
  CHECK(display_width("\u2764\uFE0F") == 1);           // a variation selector adds nothing
  CHECK(display_width("\u0E01\u0E34") == 1);           // Thai consonant + vowel sign above
}

TEST_CASE("a byte that starts no well-formed UTF-8 sequence takes one cell, and nothing is read past the end") {
  CHECK(display_width("\xff") == 1);
  CHECK(display_width("a\xc3") == 2);               // the first byte of two, then the end
  CHECK(display_width("\xe2\x80") == 1);            // two bytes of a three-byte sequence: one character shown
  CHECK(display_width("\xe2\x80x") == 2);
  CHECK(display_width("\x80\x80") == 2);            // continuation bytes alone
  CHECK(display_width("\xc0\xaf") == 2);            // overlong form of '/'
  CHECK(display_width("\xe0\x80\xaf") == 3);        // overlong, three bytes
  CHECK(display_width("\xed\xa0\x80") == 3);        // a UTF-16 surrogate
  CHECK(display_width("\xf4\x90\x80\x80") == 4);    // above U+10FFFF
  CHECK(display_width("\xf0\x9f\x9a") == 1);        // an emoji cut short
  CHECK(display_width(std::string_view("a\0b", 3)) == 2);  // a NUL is a control character: no cell
  // Every byte value, alone and before a wide character, counts as at most two cells.
  for (int b = 0; b < 256; ++b) {
    const std::string text(1, static_cast<char>(b));
    CAPTURE(b);
    CHECK(display_width(text) <= 1);
    CHECK(display_width(text + "웹") <= 3);
  }
}

TEST_CASE("text that fits is kept whole; longer text is cut between characters and ends with an ellipsis") {
  CHECK(fit_to_width("web", 40) == "web");
  CHECK(fit_to_width("web", 3) == "web");
  CHECK(fit_to_width("webserver", 4) == "web…");
  CHECK(fit_to_width("webserver", 1) == "…");
  CHECK(fit_to_width("webserver", 0) == "");
  // A wide character that would overflow is left out whole: the result may be a cell narrower.
  CHECK(fit_to_width("데이터베이스", 7) == "데이터…");
  CHECK(fit_to_width("데이터베이스", 6) == "데이…");
  CHECK(display_width(fit_to_width("데이터베이스", 6)) == 5);
  // Combining marks stay with their letter.
  CHECK(fit_to_width("e\u0301e\u0301e\u0301e\u0301", 3) == "e\u0301e\u0301…");
  // Invalid bytes are kept as they were, each one cell.
  CHECK(fit_to_width("\xff\xff\xff\xff", 3) == "\xff\xff…");
}

TEST_CASE("a name cut to a width never takes more cells than that width") {
  const std::string names[] = {"inventory-service-with-a-deliberately-long-name-of-sixty-cel",
                               "데이터베이스-서버-클러스터-주-복제본-서울-리전-가용-영역-에이",
                               "mixed-웹서버-and-데이터베이스-cafe\u0301-🚀-\xff-end"};
  for (const auto& name : names)
    for (std::size_t cells = 0; cells <= 70; ++cells) {
      CAPTURE(name);
      CAPTURE(cells);
      const std::string cut = fit_to_width(name, cells);
      CHECK(display_width(cut) <= cells);
      if (display_width(name) <= cells) CHECK(cut == name);
      else CHECK(display_width(cut) + 1 >= cells);  // at most the one cell of a wide character lost
    }
}
