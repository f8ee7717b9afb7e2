//! The language of the copy, detected from the prompt.
//!
//! # Why detection is script first
//! A prompt's script settles most languages outright (Hangul is Korean, Thai is Thai, Greek is
//! Greek), and trigram statistics are only needed inside a script shared by many languages
//! (Latin, Cyrillic, Arabic, Devanagari). Ad prompts mix scripts: a Japanese prompt names
//! "Instagram", a Chinese one quotes a Latin brand. So the planner first counts letters per
//! script, weighing CJK characters and Hangul syllables double (one carries about as much as
//! two Latin letters), and a non-Latin script wins when it has at least half the Latin weight.
//! Only then is [`whatlang`] asked, on the letters of that script alone and restricted to the
//! languages its answer can map to, which keeps "Instagram banner" from making a Russian
//! prompt English and keeps rare languages from capturing short English prompts.
//!
//! # Why the Han rules
//! whatlang reads all Han text as Mandarin. Japanese mixes Han with kana, so any kana makes
//! Han text Japanese. Simplified and Traditional Chinese share most characters but not the
//! common ones in [`SIMPLIFIED_ONLY`] / [`TRADITIONAL_ONLY`] (这/這, 为/為, 国/國 …);
//! counting them decides, and a tie (no evidence) is Simplified, the more widely written.
//! Characters that exist in both forms with different uses (后, 面, 干, 发 …) are left out of
//! the tables on purpose.
//!
//! # Why the fallbacks
//! Trigram statistics on two or three words are noise, and short English ad prompts ("autumn
//! sale banner for a coffee shop") get low, scattered confidence. So: fewer than three words
//! go straight to letters that only some languages use (ß, ñ, ã, ğ, ł, ư …), then English.
//! With more words, an unreliable answer gives way to a vote of distinctive function words
//! ("the"/"for", "und"/"für", "y"/"hasta" …, at least two and no tie), then to whatlang's
//! answer if it is at least an even bet, then to the telling letters, then to English.
//! Cyrillic letters unique to Ukrainian (ї, є, ґ, і) or Russian (ы, э, ъ, ё) settle those two;
//! a script or language with no table is [`Language::Other`]. Everything is a pure function
//! of the text: the same prompt always gets the same language.

use serde::{Deserialize, Serialize};
use whatlang::{Detector, Lang};

use super::chars::{self, Script};

/// The language of all text in the image. Serialised as its BCP 47 tag (`"en"`,
/// `"zh-Hans"`, …; [`Language::Other`] is `"und"`, undetermined).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "de")]
    De,
    #[serde(rename = "fr")]
    Fr,
    #[serde(rename = "es")]
    Es,
    #[serde(rename = "it")]
    It,
    #[serde(rename = "pt")]
    Pt,
    #[serde(rename = "nl")]
    Nl,
    #[serde(rename = "sv")]
    Sv,
    #[serde(rename = "pl")]
    Pl,
    #[serde(rename = "tr")]
    Tr,
    #[serde(rename = "el")]
    El,
    #[serde(rename = "ru")]
    Ru,
    #[serde(rename = "uk")]
    Uk,
    #[serde(rename = "ja")]
    Ja,
    #[serde(rename = "zh-Hans")]
    ZhHans,
    #[serde(rename = "zh-Hant")]
    ZhHant,
    #[serde(rename = "ko")]
    Ko,
    #[serde(rename = "ar")]
    Ar,
    #[serde(rename = "he")]
    He,
    #[serde(rename = "hi")]
    Hi,
    #[serde(rename = "th")]
    Th,
    #[serde(rename = "vi")]
    Vi,
    #[serde(rename = "id")]
    Id,
    /// A language the planner has no table for; copy falls back to English defaults.
    #[serde(rename = "und")]
    Other,
}

use Language::*;

impl Language {
    /// Every language, in declaration order.
    pub const ALL: [Language; 24] = [
        En, De, Fr, Es, It, Pt, Nl, Sv, Pl, Tr, El, Ru, Uk, Ja, ZhHans, ZhHant, Ko, Ar, He, Hi, Th,
        Vi, Id, Other,
    ];

    /// The BCP 47 tag: `"en"`, `"zh-Hans"`, …, `"und"` for [`Language::Other`].
    pub fn bcp47(self) -> &'static str {
        match self {
            En => "en",
            De => "de",
            Fr => "fr",
            Es => "es",
            It => "it",
            Pt => "pt",
            Nl => "nl",
            Sv => "sv",
            Pl => "pl",
            Tr => "tr",
            El => "el",
            Ru => "ru",
            Uk => "uk",
            Ja => "ja",
            ZhHans => "zh-Hans",
            ZhHant => "zh-Hant",
            Ko => "ko",
            Ar => "ar",
            He => "he",
            Hi => "hi",
            Th => "th",
            Vi => "vi",
            Id => "id",
            Other => "und",
        }
    }

    /// The language's English name, as the brief names it to a hosted model.
    pub fn english_name(self) -> &'static str {
        match self {
            En => "English",
            De => "German",
            Fr => "French",
            Es => "Spanish",
            It => "Italian",
            Pt => "Portuguese",
            Nl => "Dutch",
            Sv => "Swedish",
            Pl => "Polish",
            Tr => "Turkish",
            El => "Greek",
            Ru => "Russian",
            Uk => "Ukrainian",
            Ja => "Japanese",
            ZhHans => "Chinese (Simplified)",
            ZhHant => "Chinese (Traditional)",
            Ko => "Korean",
            Ar => "Arabic",
            He => "Hebrew",
            Hi => "Hindi",
            Th => "Thai",
            Vi => "Vietnamese",
            Id => "Indonesian",
            Other => "Undetermined",
        }
    }

    /// Written right to left.
    pub fn is_rtl(self) -> bool {
        matches!(self, Ar | He)
    }

    /// The script the language is written in ([`Script::Latin`] for `Other`, whose defaults
    /// are English).
    #[cfg(test)]
    pub(crate) fn script(self) -> Script {
        match self {
            Ru | Uk => Script::Cyrillic,
            El => Script::Greek,
            Ja => Script::Kana,
            ZhHans | ZhHant => Script::Han,
            Ko => Script::Hangul,
            Ar => Script::Arabic,
            He => Script::Hebrew,
            Hi => Script::Devanagari,
            Th => Script::Thai,
            _ => Script::Latin,
        }
    }

    /// The call to action set when neither the prompt nor the brand gives one.
    pub fn default_call_to_action(self) -> &'static str {
        match self {
            En | Other => "Learn more",
            De => "Mehr erfahren",
            Fr => "En savoir plus",
            Es => "Más información",
            It => "Scopri di più",
            Pt => "Saiba mais",
            Nl => "Meer informatie",
            Sv => "Läs mer",
            Pl => "Dowiedz się więcej",
            Tr => "Daha fazla bilgi",
            El => "Μάθετε περισσότερα",
            Ru => "Подробнее",
            Uk => "Детальніше",
            Ja => "詳しく見る",
            ZhHans => "了解更多",
            ZhHant => "了解更多",
            Ko => "자세히 보기",
            Ar => "اعرف المزيد",
            He => "למידע נוסף",
            Hi => "और जानें",
            Th => "ดูเพิ่มเติม",
            Vi => "Tìm hiểu thêm",
            Id => "Selengkapnya",
        }
    }

    /// The default call to action when the prompt is a sale (a price, a discount, a deal).
    pub fn shop_call_to_action(self) -> &'static str {
        match self {
            En | Other => "Shop now",
            De => "Jetzt kaufen",
            Fr => "Acheter maintenant",
            Es => "Comprar ahora",
            It => "Acquista ora",
            Pt => "Compre agora",
            Nl => "Nu kopen",
            Sv => "Handla nu",
            Pl => "Kup teraz",
            Tr => "Hemen al",
            El => "Αγοράστε τώρα",
            Ru => "Купить сейчас",
            Uk => "Купити зараз",
            Ja => "今すぐ購入",
            ZhHans => "立即购买",
            ZhHant => "立即購買",
            Ko => "지금 구매하기",
            Ar => "تسوّق الآن",
            He => "לקנייה עכשיו",
            Hi => "अभी खरीदें",
            Th => "ซื้อเลย",
            Vi => "Mua ngay",
            Id => "Beli sekarang",
        }
    }

    /// Detects the language of `text` (see the module docs for the rules).
    pub fn detect(text: &str) -> Language {
        detect(chars::bounded(text, MAX_DETECT_CHARS))
    }
}

/// Detection reads at most this much of a prompt: enough for any statistic, bounded work.
const MAX_DETECT_CHARS: usize = 4000;
/// Fewer words than this and trigram statistics are not asked.
const MIN_WORDS: usize = 3;

const LATIN: &[Lang] = &[
    Lang::Eng,
    Lang::Deu,
    Lang::Fra,
    Lang::Spa,
    Lang::Ita,
    Lang::Por,
    Lang::Nld,
    Lang::Swe,
    Lang::Pol,
    Lang::Tur,
    Lang::Vie,
    Lang::Ind,
    // Languages without a table of their own: detected so that their prompts are `Other`
    // rather than a wrong neighbour.
    Lang::Fin,
    Lang::Hun,
    Lang::Ces,
    Lang::Slk,
    Lang::Ron,
    Lang::Hrv,
    Lang::Lit,
    Lang::Lav,
    Lang::Est,
];
const CYRILLIC: &[Lang] = &[
    Lang::Rus,
    Lang::Ukr,
    Lang::Bul,
    Lang::Bel,
    Lang::Srp,
    Lang::Mkd,
];
const ARABIC: &[Lang] = &[Lang::Ara, Lang::Pes, Lang::Urd];
const DEVANAGARI: &[Lang] = &[Lang::Hin, Lang::Mar, Lang::Nep];

fn mapped(lang: Lang) -> Language {
    match lang {
        Lang::Eng => En,
        Lang::Deu => De,
        Lang::Fra => Fr,
        Lang::Spa => Es,
        Lang::Ita => It,
        Lang::Por => Pt,
        Lang::Nld => Nl,
        Lang::Swe => Sv,
        Lang::Pol => Pl,
        Lang::Tur => Tr,
        Lang::Vie => Vi,
        Lang::Ind => Id,
        Lang::Rus => Ru,
        Lang::Ukr => Uk,
        Lang::Ara => Ar,
        Lang::Hin => Hi,
        _ => Other,
    }
}

fn detect(text: &str) -> Language {
    let mut counts = [0usize; Script::COUNT];
    for c in text.chars() {
        if let Some(s) = chars::script(c) {
            counts[s.index()] += 1;
        }
    }
    let count = |s: Script| counts[s.index()];
    let cjk = 2 * (count(Script::Han) + count(Script::Kana));
    let latin = count(Script::Latin);
    // The heaviest non-Latin script; ties go to the earlier entry (deterministic).
    let candidates = [
        (Script::Han, cjk),
        (Script::Hangul, 2 * count(Script::Hangul)),
        (Script::Cyrillic, count(Script::Cyrillic)),
        (Script::Arabic, count(Script::Arabic)),
        (Script::Hebrew, count(Script::Hebrew)),
        (Script::Devanagari, count(Script::Devanagari)),
        (Script::Thai, count(Script::Thai)),
        (Script::Greek, count(Script::Greek)),
        (Script::Other, count(Script::Other)),
    ];
    let mut best = (Script::Latin, 0);
    for candidate in candidates {
        if candidate.1 > best.1 {
            best = candidate;
        }
    }
    let script = if best.1 > 0 && 2 * best.1 >= latin {
        best.0
    } else if latin > 0 {
        Script::Latin
    } else {
        return En;
    };
    match script {
        Script::Han | Script::Kana => {
            if count(Script::Kana) > 0 {
                Ja
            } else {
                chinese(text)
            }
        }
        Script::Hangul => Ko,
        Script::Thai => Th,
        Script::Greek => El,
        Script::Hebrew => He,
        Script::Other => Other,
        Script::Cyrillic => cyrillic(text),
        Script::Arabic => within(text, script, ARABIC).unwrap_or(Ar),
        Script::Devanagari => within(text, script, DEVANAGARI).unwrap_or(Hi),
        Script::Latin => latin_language(text),
    }
}

/// The letters of one script (everything else a space), at most `MAX_DETECT_CHARS`.
fn letters_of(text: &str, script: Script) -> (String, usize) {
    let only: String = text
        .chars()
        .map(|c| match chars::script(c) {
            Some(s) if s == script => c,
            _ if chars::is_mark(c) => c,
            _ => ' ',
        })
        .collect();
    let words = only.split_whitespace().count();
    (only, words)
}

/// whatlang's answer among `langs` on the letters of `script`, when it is reliable and the
/// text has enough words; `None` otherwise.
fn within(text: &str, script: Script, langs: &[Lang]) -> Option<Language> {
    let (only, words) = letters_of(text, script);
    if words < MIN_WORDS {
        return None;
    }
    let info = Detector::with_allowlist(langs.to_vec()).detect(&only)?;
    info.is_reliable().then(|| mapped(info.lang()))
}

fn cyrillic(text: &str) -> Language {
    let has = |set: &str| {
        text.chars()
            .any(|c| set.contains(c.to_lowercase().next().unwrap_or(c)))
    };
    let ukrainian = has("їєґ") || (has("і") && !has("ў"));
    let russian = has("ыэъё");
    match within(text, Script::Cyrillic, CYRILLIC) {
        Some(Ru) if ukrainian && !russian => Uk,
        Some(Uk) if russian && !ukrainian => Ru,
        Some(language) => language,
        None if ukrainian && !russian => Uk,
        None => Ru,
    }
}

/// whatlang's answer when reliable; else a vote of function words; else whatlang's answer
/// when it is at least an even bet; else telling letters; else English. Short English ad
/// prompts ("autumn sale banner for a coffee shop") get low, scattered whatlang confidence,
/// and their function words ("for", "a") settle them.
fn latin_language(text: &str) -> Language {
    let (only, words) = letters_of(text, Script::Latin);
    if words < MIN_WORDS {
        return latin_letters(text).unwrap_or(En);
    }
    let info = Detector::with_allowlist(LATIN.to_vec()).detect(&only);
    if let Some(info) = info.as_ref().filter(|i| i.is_reliable()) {
        return mapped(info.lang());
    }
    if let Some(language) = function_words(&only) {
        return language;
    }
    if let Some(info) = info.filter(|i| i.confidence() >= EVEN_BET) {
        return mapped(info.lang());
    }
    latin_letters(text).unwrap_or(En)
}

/// The confidence from which whatlang's unreliable answer is still taken.
const EVEN_BET: f64 = 0.5;

/// Function words distinctive of one language (words shared by two, such as "de", "en",
/// "la", "con", "para", are left out).
const FUNCTION_WORDS: &[(Language, &[&str])] = &[
    (
        En,
        &[
            "the", "and", "for", "with", "our", "your", "of", "to", "a", "an", "on", "at", "this",
            "from", "by", "every", "new",
        ],
    ),
    (
        De,
        &[
            "der", "die", "das", "und", "für", "mit", "unsere", "unser", "unseren", "im", "den",
            "dem", "ein", "eine", "auf", "bei", "zum", "zur", "jetzt",
        ],
    ),
    (
        Fr,
        &[
            "le", "les", "et", "pour", "avec", "notre", "nos", "des", "du", "une", "sur", "au",
            "aux", "dans", "votre", "chez",
        ],
    ),
    (
        Es,
        &[
            "el", "los", "las", "y", "nuestra", "nuestro", "nuestros", "una", "hasta", "desde",
            "todo", "todos", "tu", "muy",
        ],
    ),
    (
        It,
        &[
            "il", "gli", "nostra", "nostro", "della", "di", "alla", "tutti", "ogni", "è",
        ],
    ),
    (
        Pt,
        &[
            "os", "nosso", "nossa", "do", "dos", "das", "um", "uma", "em", "até", "você", "seu",
            "sua",
        ],
    ),
    (
        Nl,
        &[
            "het", "voor", "onze", "ons", "een", "op", "bij", "elke", "nu",
        ],
    ),
    (
        Sv,
        &[
            "och", "för", "med", "vår", "vårt", "våra", "ett", "på", "av", "till", "alla", "är",
            "varje",
        ],
    ),
    (
        Pl,
        &[
            "w", "z", "na", "dla", "naszej", "naszego", "od", "jest", "oraz", "się", "każdy",
        ],
    ),
    (Tr, &["ve", "için", "ile", "bir", "bu", "tüm", "her", "çok"]),
    (
        Vi,
        &[
            "và", "cho", "của", "chúng", "tôi", "với", "các", "những", "một",
        ],
    ),
    (
        Id,
        &[
            "dan", "untuk", "dengan", "kami", "yang", "di", "ini", "semua", "kita", "dari",
        ],
    ),
];

/// The language with the most function words, when it has at least two and more than any
/// other.
fn function_words(text: &str) -> Option<Language> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let mut best: Option<(Language, usize)> = None;
    let mut tie = false;
    for (language, list) in FUNCTION_WORDS {
        let hits = words.iter().filter(|w| list.contains(w)).count();
        match best {
            Some((_, top)) if hits == top => tie = true,
            Some((_, top)) if hits < top => {}
            _ => {
                best = Some((*language, hits));
                tie = false;
            }
        }
    }
    best.filter(|(_, hits)| *hits >= 2 && !tie).map(|(l, _)| l)
}

/// A guess from letters only some Latin-script languages use, in order of how telling they
/// are; `None` when the text has none of them.
fn latin_letters(text: &str) -> Option<Language> {
    const TELLING: &[(&str, Language)] = &[
        ("ơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ", Vi),
        ("ğışİ", Tr),
        ("ąęłśźżń", Pl),
        ("ãõ", Pt),
        ("ñ¿¡", Es),
        // Czech, Slovak, Croatian, Slovenian, Lithuanian, Latvian: no table of their own.
        ("čřěůšžťďňľĺ", Other),
        ("ß", De),
        ("œ", Fr),
        ("å", Sv),
        ("äöü", De),
        ("èêëàâîïûùç", Fr),
        ("ìò", It),
        ("áéíóú", Es),
    ];
    let lower = text.to_lowercase();
    TELLING
        .iter()
        .find(|(letters, _)| {
            text.chars()
                .chain(lower.chars())
                .any(|c| letters.contains(c))
        })
        .map(|(_, language)| *language)
}

/// Common characters written only in Simplified Chinese (their Traditional forms are in
/// [`TRADITIONAL_ONLY`], same order).
const SIMPLIFIED_ONLY: &str = "这为国时买会东说们开门体电车长价优与个来对学还进过动从现实点业经产关机问间样么没无费钱礼节购卖货质员场热乐红绿蓝黄鲜饮汤单满减赠级线网页让认语话请谢识读写见观视亲爱欢华丽园图圆区岁厅广庆应张书标题钮纽压层带师帮万两严丰临举习乡鸡鱼饭馆饺营销惊边运专设计额订预约团烧选独务际荐尝该轻试证总宝贝饰装";
/// Common characters written only in Traditional Chinese.
const TRADITIONAL_ONLY: &str = "這為國時買會東說們開門體電車長價優與個來對學還進過動從現實點業經產關機問間樣麼沒無費錢禮節購賣貨質員場熱樂紅綠藍黃鮮飲湯單滿減贈級線網頁讓認語話請謝識讀寫見觀視親愛歡華麗園圖圓區歲廳廣慶應張書標題鈕紐壓層帶師幫萬兩嚴豐臨舉習鄉雞魚飯館餃營銷驚邊運專設計額訂預約團燒選獨務際薦嘗該輕試證總寶貝飾裝";

fn chinese(text: &str) -> Language {
    let (mut simplified, mut traditional) = (0usize, 0usize);
    for c in text.chars() {
        if SIMPLIFIED_ONLY.contains(c) {
            simplified += 1;
        } else if TRADITIONAL_ONLY.contains(c) {
            traditional += 1;
        }
    }
    if traditional > simplified {
        ZhHant
    } else {
        ZhHans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_han_tables_pair_up_and_do_not_overlap() {
        assert_eq!(
            SIMPLIFIED_ONLY.chars().count(),
            TRADITIONAL_ONLY.chars().count()
        );
        let shared: String = SIMPLIFIED_ONLY
            .chars()
            .filter(|c| TRADITIONAL_ONLY.contains(*c))
            .collect();
        assert!(shared.is_empty(), "in both tables: {shared}");
    }

    #[test]
    fn tags_round_trip_through_serde() {
        for language in Language::ALL {
            let json = serde_json::to_string(&language).expect("serialise");
            assert_eq!(json, format!("\"{}\"", language.bcp47()));
            let back: Language = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, language);
        }
    }
}
