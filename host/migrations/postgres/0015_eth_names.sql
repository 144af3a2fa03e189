-- Names written with the Icelandic eth (Ð U+00D0, ð U+00F0) where the Vietnamese Đ/đ was meant:
-- Windows-1258 puts Đ and đ where Windows-1252 puts the eths, so Vietnamese text from an old
-- system read in the wrong code page carries them. text::clean now reads them as Đ/đ on the
-- way in and text::fold as d; names kept from before are corrected the same way here, so a
-- person or team recorded then is found by what is written now. (Sort keys keep their old
-- place until the name is next edited.)
UPDATE people
   SET full_name = REPLACE(REPLACE(full_name, 'Ð', 'Đ'), 'ð', 'đ'),
       search_key = REPLACE(search_key, 'ð', 'd')
 WHERE full_name LIKE '%Ð%' OR full_name LIKE '%ð%';
UPDATE teams
   SET name = REPLACE(REPLACE(name, 'Ð', 'Đ'), 'ð', 'đ'),
       search_key = REPLACE(search_key, 'ð', 'd')
 WHERE name LIKE '%Ð%' OR name LIKE '%ð%';
