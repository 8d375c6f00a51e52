#!/bin/sh
# Give new catalogues proper header fields (makemessages leaves placeholders).
for lang in nl en; do
  po="locale/$lang/LC_MESSAGES/django.po"
  sed -i -e "s/^\"Project-Id-Version: PACKAGE VERSION\\\\n\"/\"Project-Id-Version: verzuimportaal\\\\n\"/" \
         -e "s/^\"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\\\n\"/\"PO-Revision-Date: 2026-11-25 12:00+0100\\\\n\"/" \
         -e "s/^\"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\\\n\"/\"Last-Translator: Verzuimportaal developers\\\\n\"/" \
         -e "s/^\"Language-Team: LANGUAGE <LL@li.org>\\\\n\"/\"Language-Team: $lang\\\\n\"/" \
         -e "s/^\"Language: \\\\n\"/\"Language: $lang\\\\n\"/" \
         -e "/^# SOME DESCRIPTIVE TITLE./d" -e "/^# Copyright (C) YEAR/d" -e "/^# This file is distributed under/d" \
         -e "/^# FIRST AUTHOR/d" -e "0,/^msgid \"\"/{/^#, fuzzy$/d;/^#$/d}" "$po"
done
