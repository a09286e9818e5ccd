{#- Party and list-entry names, normalised for screening (RULES.md §7): full-width ASCII
    (U+FF01-U+FF5E) and the ideographic / no-break space folded to ASCII (DuckDB has no
    NFKC), lower case, '&' read as 'and', punctuation removed, legal-form words removed
    (Latin forms as whole trailing or leading words, CJK forms as trailing or leading
    characters), white space collapsed. A name that is nothing but a legal form keeps it,
    so it never normalises to an empty string. Null in, null out.
    Spark: the same steps, with its string literals (backslashes and quotes escaped) and
    java.util.regex, which reads these classes (\p{L}, \p{N}, \s) as RE2 does. -#}
{% macro normalise_party_name(column_name) -%}
    {{- return(adapter.dispatch('normalise_party_name')(column_name)) -}}
{%- endmacro %}

{#- The legal forms, one list for both engines. -#}
{% macro party_legal_forms() -%}
    {%- set latin_forms = [
        'ltd', 'limited', 'co', 'company', 'corp', 'corporation', 'inc', 'incorporated',
        'llc', 'llp', 'lp', 'gmbh', 'kg', 'ag', 'sa', 'sas', 'sarl', 'plc', 'kk',
        'kabushiki kaisha', 'pte', 'pty', 'pvt', 'private', 'bv', 'nv', 'srl', 'spa',
        'oy', 'oyj', 'ab', 'as', 'asa', 'aps', 'jsc', 'pjsc', 'ojsc', 'cjsc', 'ooo', 'ltda',
        'sdn bhd', 'bhd', 'sro', 'group'
    ] -%}
    {%- set latin_prefixes = ['the', 'kabushiki kaisha', 'kk', 'ooo', 'oao', 'zao', 'pao', 'ao', 'pt'] -%}
    {%- set cjk_forms = [
        '股份有限公司', '有限责任公司', '有限責任公司', '有限公司', '公司', '集团', '集團',
        '株式会社', '有限会社', '合同会社'
    ] -%}
    {{- return({'latin_forms': latin_forms, 'latin_prefixes': latin_prefixes, 'cjk_forms': cjk_forms}) -}}
{%- endmacro %}

{% macro default__normalise_party_name(column_name) -%}
    {%- set forms = party_legal_forms() -%}
    {%- set latin_forms = forms.latin_forms -%}
    {%- set latin_prefixes = forms.latin_prefixes -%}
    {%- set cjk_forms = forms.cjk_forms -%}
    {%- set normalised -%}
        trim(regexp_replace(
            regexp_replace(
                lower(translate({{ column_name }}, '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　 ', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~  ')),
                '&', ' and ', 'g'
            ),
            '[^\p{L}\p{N}\s.''’/·・]+|\s+', ' ', 'g'
        ))
    {%- endset -%}
    {%- set unpunctuated -%}
        trim(regexp_replace(regexp_replace({{ normalised }}, '[.''’/·・]', '', 'g'), '\s+', ' ', 'g'))
    {%- endset -%}
    {%- set stripped -%}
        trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            {{ unpunctuated }},
            '(?:\s+(?:{{ latin_forms | join('|') }}))+$', ''),
            '^(?:(?:{{ latin_prefixes | join('|') }})\s+)+', ''),
            '(?:{{ cjk_forms | join('|') }})+$', ''),
            '^(?:{{ cjk_forms | join('|') }})+', ''))
    {%- endset -%}
    nullif(coalesce(nullif({{ stripped }}, ''), {{ unpunctuated }}), '')
{%- endmacro %}

{% macro spark__normalise_party_name(column_name) -%}
    {%- set forms = party_legal_forms() -%}
    {%- set full_width = '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　 ' -%}
    {%- set ascii = '!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~  ' -%}
    {%- set normalised -%}
        trim({{ regex_replace(
            regex_replace(
                'lower(translate(' ~ column_name ~ ', ' ~ spark_string_literal(full_width) ~ ', ' ~ spark_string_literal(ascii) ~ '))',
                '&', ' and '
            ),
            "[^\\p{L}\\p{N}\\s.'’/·・]+|\\s+", ' '
        ) }})
    {%- endset -%}
    {%- set unpunctuated -%}
        trim({{ regex_replace(regex_replace(normalised, "[.'’/·・]", ''), '\\s+', ' ') }})
    {%- endset -%}
    {%- set stripped -%}
        trim({{ regex_replace(regex_replace(regex_replace(regex_replace(
            unpunctuated,
            '(?:\\s+(?:' ~ forms.latin_forms | join('|') ~ '))+$', '', all=false),
            '^(?:(?:' ~ forms.latin_prefixes | join('|') ~ ')\\s+)+', '', all=false),
            '(?:' ~ forms.cjk_forms | join('|') ~ ')+$', '', all=false),
            '^(?:' ~ forms.cjk_forms | join('|') ~ ')+', '', all=false) }})
    {%- endset -%}
    nullif(coalesce(nullif({{ stripped }}, ''), {{ unpunctuated }}), '')
{%- endmacro %}
