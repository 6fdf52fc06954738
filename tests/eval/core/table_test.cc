#include "eval/core/table.h"

#include <gtest/gtest.h>

namespace hiedge {
namespace {

Table Example() {
  Table t({"shift", "accuracy", "cost"});
  t.AddRow({"noise", "68.20%", "0.5788"});
  t.AddRow({"slow_dimming", "9.1%", "0.12"});
  return t;
}

TEST(TableTest, TextAlignsColumnsFirstLeftOthersRight) {
  EXPECT_EQ(Example().ToText(),
            "shift         accuracy    cost\n"
            "noise           68.20%  0.5788\n"
            "slow_dimming      9.1%    0.12\n");
}

TEST(TableTest, TextColumnsOfWordsAreLeftAligned) {
  Table t({"name", "mix", "n"});
  t.AddRow({"a", "[ 0.1 0.9 ]", "3"});
  t.AddRow({"bb", "{ }", "12"});
  EXPECT_EQ(t.ToText(),
            "name  mix           n\n"
            "a     [ 0.1 0.9 ]   3\n"
            "bb    { }          12\n");
}

TEST(TableTest, TextCountsUtf8CharactersNotBytes) {
  Table t({"β", "x"});
  t.AddRow({"0.10", "1"});
  EXPECT_EQ(t.ToText(), "β     x\n0.10  1\n");
}

TEST(TableTest, MarkdownHasAHeaderRuleAndEscapesPipes) {
  Table t({"a", "b"});
  t.AddRow({"x|y", "line\nbreak"});
  EXPECT_EQ(t.ToMarkdown(), "| a | b |\n|---|---|\n| x\\|y | line break |\n");
}

TEST(TableTest, CsvQuotesOnlyWhatNeedsIt) {
  Table t({"name", "value"});
  t.AddRow({"plain", "1.5"});
  t.AddRow({"a, b", "say \"hi\""});
  EXPECT_EQ(t.ToCsv(), "name,value\nplain,1.5\n\"a, b\",\"say \"\"hi\"\"\"\n");
}

TEST(TableTest, RowsAreKeptRectangular) {
  Table t({"a", "b", "c"});
  t.AddRow({"1"});
  t.AddRow({"1", "2", "3", "4"});
  EXPECT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.ToCsv(), "a,b,c\n1,,\n1,2,3\n");
}

}  // namespace
}  // namespace hiedge
