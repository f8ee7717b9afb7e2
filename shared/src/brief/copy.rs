//! The copy planner: from a prompt (and a brand) to the three blocks of text an ad carries —
//! a headline, maybe a supporting line, a call to action — and the language they are in.
//!
//! # Why a planner
//! Both generators set this copy: the template renderer draws it, a hosted model is told to
//! spell it exactly. Users write copy in many ways ("…with the headline 'Fresh every
//! morning'", "CTA: Order ahead", "Landscape banner: SpaceLaunch Co. announces orbital
//! tourism, 20% off the first 100 seats", "秋の新作コーヒーの広告バナーを作成してください"), in
//! many languages, and the old first-clause heuristic put "Landscape banner" or "For Ember
//! Roasters" on images. The planner is a pure, deterministic function with table tests for
//! each rule, so a wrong headline is a reproducible bug with a one-line test.
//!
//! # Precedence, and why
//! 1. Explicit copy ([`scan`]): quoted or labelled text is the client's own copy and is used
//!    verbatim. A label decides the role (a quote after "CTA" is the call to action); among
//!    unlabelled quotes the first is the headline and the second the supporting line.
//! 2. The brand ([`BrandIdentity`]): its `core_slogan` is the supporting line and its
//!    `call_to_action` the call to action wherever the prompt gives none explicitly — the
//!    brand's own words beat words we derive.
//! 3. Derived copy ([`derive`]): the prompt's own words without format and request words,
//!    preferring the phrase with the offer, kept whole; the offer (or the phrase it
//!    displaced) becomes the supporting line when the headline does not carry it.
//! 4. Defaults: the brand's name, then the prompt's words, for the headline; a call to action
//!    in the detected [`Language`] ("Shop now" in that language when the prompt is a sale).
//!
//! Derived headlines and supporting lines are capitalised (first letter, scripts with case
//! only, not a word with inner capitals such as "iPhone"); explicit copy never is. Emoji and
//! invisible characters never become derived copy (emoji decorate a request, and the copy
//! must set in the template's fonts); explicit copy keeps whatever the client quoted, only
//! trimmed, and invisible characters never make it non-empty. A sale (a price, a discount, a
//! multi-buy, "free shipping", a sale word) gets the language's "Shop now"; a bare rate
//! ("3.9% APR") does not.
//!
//! # Bounds
//! At most `MAX_PROMPT_CHARS` characters are read; every scan is linear in that (label
//! matching is a fixed table at each word start, a quote's closer is looked for in a fixed
//! window), no regular expressions, no recursion, and no input panics (see the tests' loop
//! over hostile strings).

mod chars;
mod derive;
mod language;
mod lexicon;
mod scan;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use language::Language;

use super::BrandIdentity;
use chars::Script;
use scan::Origin;

/// The planner reads at most this many characters of a prompt (the contract allows 5000).
const MAX_PROMPT_CHARS: usize = 8000;

/// Where a block of copy came from, for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopySource {
    /// Quoted in the prompt, used verbatim.
    Quoted,
    /// After a label in the prompt (`Headline:`, `CTA 'Order ahead'`), used verbatim.
    Labelled,
    /// Derived from the prompt's phrase with an offer (price, discount, deal).
    Offer,
    /// Derived from the prompt's words.
    Prompt,
    /// The brand's name (the prompt had no usable words).
    BrandName,
    /// The brand's `core_slogan`.
    BrandSlogan,
    /// The brand's `call_to_action`.
    BrandCallToAction,
    /// The detected language's default.
    #[default]
    Default,
}

impl From<Origin> for CopySource {
    fn from(origin: Origin) -> Self {
        match origin {
            Origin::Quoted => CopySource::Quoted,
            Origin::Labelled => CopySource::Labelled,
        }
    }
}

/// Where each block of a [`CopyPlan`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct CopySources {
    pub headline: CopySource,
    pub supporting: Option<CopySource>,
    pub call_to_action: CopySource,
}

/// The copy of one ad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyPlan {
    /// Never empty unless the prompt has no visible character and the brand no name.
    pub headline: String,
    pub supporting: Option<String>,
    pub call_to_action: String,
    /// The language detected from the prompt: of all text in the image.
    pub language: Language,
    pub sources: CopySources,
}

/// Plans the copy of `prompt` for `brand` (see the module docs for the rules).
pub fn plan(prompt: &str, brand: Option<&BrandIdentity>) -> CopyPlan {
    let text = chars::bounded(prompt, MAX_PROMPT_CHARS);
    let language = Language::detect(text);
    let keep_bidi = language.is_rtl();
    let explicit = scan::explicit(text);
    let field = |f: fn(&BrandIdentity) -> &Option<String>| {
        brand
            .and_then(|b| f(b).as_deref())
            .map(chars::trim)
            .filter(|t| chars::has_visible(t))
    };
    let brand_name = field(|b| &b.name);
    let derived = derive::derive(
        &explicit.remaining,
        explicit.headline.is_some(),
        brand_name,
        keep_bidi,
    );
    let sourced = |(text, offer): (String, bool)| {
        let source = if offer {
            CopySource::Offer
        } else {
            CopySource::Prompt
        };
        (capitalise(&text, language), source)
    };

    let (headline, headline_source) = match explicit.headline.clone() {
        Some((text, origin)) => (text, origin.into()),
        None => derived
            .headline
            .clone()
            .map(sourced)
            .or_else(|| brand_name.map(|n| (n.to_owned(), CopySource::BrandName)))
            .or_else(|| {
                derive::any_words(&explicit.remaining, keep_bidi)
                    .map(|w| (capitalise(&w, language), CopySource::Prompt))
            })
            .unwrap_or_else(|| (last_resort(text, &explicit), CopySource::Prompt)),
    };

    let supporting = [
        explicit
            .supporting
            .clone()
            .map(|(text, origin)| (text, origin.into())),
        field(|b| &b.slogan).map(|s| (s.to_owned(), CopySource::BrandSlogan)),
        derived.supporting.map(sourced),
    ]
    .into_iter()
    .flatten()
    .find(|(s, _)| chars::has_visible(s) && !same_text(s, &headline));

    let (call_to_action, cta_source) = explicit
        .call_to_action
        .clone()
        .map(|c| (c, CopySource::Labelled))
        .or_else(|| {
            field(|b| &b.call_to_action).map(|c| (c.to_owned(), CopySource::BrandCallToAction))
        })
        .unwrap_or_else(|| {
            let default = if derive::is_sale(text) {
                language.shop_call_to_action()
            } else {
                language.default_call_to_action()
            };
            (default.to_owned(), CopySource::Default)
        });

    CopyPlan {
        headline,
        sources: CopySources {
            headline: headline_source,
            supporting: supporting.as_ref().map(|(_, s)| *s),
            call_to_action: cta_source,
        },
        supporting: supporting.map(|(s, _)| s),
        call_to_action,
        language,
    }
}

fn same_text(a: &str, b: &str) -> bool {
    chars::trim(a).to_lowercase() == chars::trim(b).to_lowercase()
}

/// When the prompt has no words outside its explicit copy: that copy (a supporting line, then
/// the call to action), else the prompt itself, trimmed and bounded.
fn last_resort(text: &str, explicit: &scan::Explicit) -> String {
    explicit
        .supporting
        .as_ref()
        .map(|(s, _)| s.clone())
        .or_else(|| explicit.call_to_action.clone())
        .unwrap_or_else(|| chars::bounded(chars::trim(text), 40).to_owned())
}

/// Upper-cases the first letter of derived copy: only in scripts with case, not when copy
/// starts with a number, and not a word with inner capitals ("iPhone", "eBay"). Turkish
/// dotted i and Dutch "ij" are capitalised as those languages do.
pub(crate) fn capitalise(text: &str, language: Language) -> String {
    let Some((at, c)) = text.char_indices().find(|(_, c)| c.is_alphanumeric()) else {
        return text.to_owned();
    };
    if !c.is_lowercase() || !chars::script(c).is_some_and(Script::has_case) {
        return text.to_owned();
    }
    let mut rest = &text[at + c.len_utf8()..];
    let word = rest
        .split(|c: char| !chars::is_word(c))
        .next()
        .unwrap_or("");
    if word.chars().any(char::is_uppercase) {
        return text.to_owned();
    }
    let mut upper: String = match (language, c) {
        (Language::Tr, 'i') => "İ".to_owned(),
        _ => c.to_uppercase().collect(),
    };
    if language == Language::Nl && c == 'i' && rest.starts_with('j') {
        upper.push('J');
        rest = &rest[1..];
    }
    format!("{}{upper}{rest}", &text[..at])
}

/// The renderer's golden set: realistic ad prompts in every script the planner supports
/// (Latin with diacritics, long German compounds, Greek, Cyrillic, Japanese, Simplified and
/// Traditional Chinese, Korean, Arabic, Hebrew, Devanagari, Thai, Vietnamese), with emoji,
/// prices, percentages, dates, quoted and labelled copy, call-to-action labels and format
/// words. The render crate's tests plan and render each one; every one is plannable.
pub const GOLDEN_PROMPTS: &[&str] = &[
    // English
    "Instagram story for Ember Roasters: \"Fresh every morning\", warm autumn tones",
    "Landscape banner: SpaceLaunch Co. announces orbital tourism, 20% off the first 100 seats",
    "For Ember Roasters, a cozy autumn coffee ad",
    "Black Friday feed ad 1080x1920 for our sneaker store: up to 50% off everything until Sunday. CTA 'Shop the sale'",
    "Square post 🎃🍂 Halloween pumpkin latte, only $4.99, 10am–6pm daily",
    "Poster for a jazz night on Nov 28 at 18:00, free entry. Button: Get tickets",
    "TikTok ad ✨ \"Glow up your skin\" ✨ serum launch, 15% off with code GLOW15",
    "LinkedIn post, 1:1. Headline: Hiring senior Rust engineers. Tagline: Build the future with us. CTA: Apply today",
    "Pet food",
    // German
    "Werbebanner im Querformat für unsere Bäckerei: Herbstangebot, alle Kuchen 20 % günstiger bis Sonntag",
    "Instagram-Anzeige für die Donaudampfschifffahrtsgesellschaft. Überschrift: Sommerfahrplan 2025. Schaltfläche: Jetzt buchen",
    "Plakat für den Weihnachtsmarkt, Glühwein ab 3,50 €, geöffnet ab 28.11.",
    // French
    "Bannière pour notre pâtisserie : « Les galettes des rois sont arrivées » — livraison gratuite jusqu'à dimanche",
    "Affiche publicitaire. Titre : Soldes d'été. Bouton : J'en profite",
    // Spanish
    "Anuncio para nuestra cafetería: café con leche y churros por solo 2,50 €. Botón: Pide ya",
    "Crea un cartel vertical: «Rebajas de invierno», hasta un 40% de descuento",
    "Post para Instagram: ¡Llegó el verano! Helados artesanales desde 1,99 €",
    // Italian
    "Locandina per la nostra gelateria: gelato artigianale, 2 per 1 il martedì. Pulsante: Scopri i gusti",
    // Portuguese
    "Anúncio para o nosso restaurante: feijoada completa aos sábados, frete grátis. Botão: Peça já",
    "Post quadrado: promoção de inverno com 30% de desconto em casacos até 15/07",
    // Dutch, Swedish, Polish, Turkish, Czech
    "Advertentie voor onze fietsenwinkel: elektrische fietsen met 15% korting, alleen vandaag",
    "Annons för vårt bageri: nybakade kanelbullar varje morgon, 2 för 1 på fredagar",
    "Baner dla naszej kawiarni: jesienna kawa dyniowa, zniżka 25% do niedzieli. Przycisk: Zamów teraz",
    "Kafemiz için Instagram gönderisi: Sonbahar kahveleri %20 indirimli, sadece bugün",
    "Reklama pro naši kavárnu: čerstvá káva každé ráno, přijďte ochutnat",
    // Greek
    "Αφίσα για το καφέ μας: Φρέσκος καφές κάθε πρωί, έκπτωση 20% όλη την εβδομάδα",
    // Russian, Ukrainian
    "Рекламный баннер для нашей кофейни: осенний латте со скидкой 30%, только до воскресенья",
    "Банер для нашої пекарні: Свіжий хліб щоранку, знижка 15% на всю випічку. Кнопка: Замовити",
    // Japanese
    "秋の新作コーヒーの広告バナーを作成してください。全品半額、11月28日まで",
    "インスタ投稿。見出し：「冬限定のいちごラテ」、ボタン：「今すぐ注文」",
    "英会話スクールのポスター：初月無料、月額¥980から",
    // Simplified Chinese
    "为我们的咖啡店设计一张秋季促销海报，全场八折，仅限本周末",
    "双十一横幅广告。标题：年度最低价。按钮：立即抢购",
    // Traditional Chinese
    "為我們的珍珠奶茶店設計廣告：買一送一，限時三天",
    "海報。標題：「夏日新品上市」，按鈕：立即購買",
    // Korean
    "인스타그램 광고를 만들어 주세요: 가을 신메뉴 출시, 전 메뉴 20% 할인",
    "카페 배너. 제목: 따뜻한 겨울 음료. 버튼: 지금 주문하기",
    // Arabic
    "إعلان لمقهى القهوة: قهوة طازجة كل صباح، خصم ٥٠٪ على جميع المشروبات",
    "بانر أفقي لمتجرنا. العنوان: تخفيضات الصيف الكبرى. الزر: تسوق الآن",
    // Hebrew
    "מודעה לבית הקפה שלנו: קפה טרי כל בוקר, 20% הנחה על כל המאפים",
    "באנר אנכי. כותרת: מבצע סוף העונה. כפתור: לקנייה",
    // Hindi
    "हमारे कैफ़े के लिए विज्ञापन: ताज़ा कॉफ़ी हर सुबह, सभी पेय पर 50% छूट",
    "दिवाली सेल का पोस्टर: सिर्फ ₹499 में मिठाई का डिब्बा",
    // Thai
    "โฆษณาร้านกาแฟของเรา: กาแฟสดทุกเช้า ลด 50% ทุกเมนู",
    "แบนเนอร์ หัวข้อ: โปรโมชั่นฤดูร้อน ปุ่ม: สั่งเลย",
    // Vietnamese, Indonesian
    "Quảng cáo cho quán cà phê của chúng tôi: Cà phê sữa đá giảm 30%, chỉ hôm nay",
    "Iklan untuk kedai kopi kami: kopi susu gula aren diskon 20%, gratis ongkir",
];
