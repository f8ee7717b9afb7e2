//! The planner's table: one row per rule or real prompt, across languages and scripts.

use super::*;
use Language::*;

/// `(prompt, headline, supporting, call to action, language)`.
type Row = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Language,
);

const ROWS: &[Row] = &[
    // English: the prompts that were wrong before.
    (
        "Landscape banner: SpaceLaunch Co. announces orbital tourism, 20% off the first 100 seats",
        "20% off the first 100 seats",
        Some("SpaceLaunch Co. announces orbital tourism"),
        "Shop now",
        En,
    ),
    (
        "For Ember Roasters, a cozy autumn coffee ad",
        "Cozy autumn coffee",
        None,
        "Learn more",
        En,
    ),
    (
        "For Ember Roasters: autumn blend is back",
        "Autumn blend is back",
        None,
        "Learn more",
        En,
    ),
    ("Pet food", "Pet food", None, "Learn more", En),
    (
        "Button: Try it free",
        "Try it free",
        None,
        "Try it free",
        En,
    ),
    (
        "Fitness app launch. CTA 'Order ahead'",
        "Fitness app launch",
        None,
        "Order ahead",
        En,
    ),
    (
        "Coffee ad. CTA: Visit us today, warm tones",
        "Coffee",
        None,
        "Visit us today",
        En,
    ),
    // Quotes and labels, verbatim.
    (
        "Instagram story for our bakery: \u{201C}Fresh every morning\u{201D}, warm tones",
        "Fresh every morning",
        None,
        "Learn more",
        En,
    ),
    (
        "Poster with the headline \"Winter is coming\" and a button \"Shop coats\"",
        "Winter is coming",
        None,
        "Shop coats",
        En,
    ),
    (
        "Summer beach resort, call to action \u{201C}Book now\u{201D}",
        "Summer beach resort",
        None,
        "Book now",
        En,
    ),
    (
        "Bakery poster \"Fresh bread\" and \"Baked since 1920\"",
        "Fresh bread",
        Some("Baked since 1920"),
        "Learn more",
        En,
    ),
    (
        "Headline: Ready for winter? Subline: Cozy knits for cold days. Button text: Shop knits",
        "Ready for winter?",
        Some("Cozy knits for cold days"),
        "Shop knits",
        En,
    ),
    (
        "LinkedIn post, 1:1. Headline: Hiring senior Rust engineers. Tagline: Build the future with us. CTA: Apply today",
        "Hiring senior Rust engineers",
        Some("Build the future with us"),
        "Apply today",
        En,
    ),
    (
        "Tagline: coffee worth waking up for",
        "coffee worth waking up for",
        None,
        "Learn more",
        En,
    ),
    (
        "Joe's Pizza, the best slice in town",
        "Joe's Pizza",
        None,
        "Learn more",
        En,
    ),
    (
        "TikTok ad \u{2728} \"Glow up your skin\" \u{2728} serum launch, 15% off with code GLOW15",
        "Glow up your skin",
        Some("15% off with code GLOW15"),
        "Shop now",
        En,
    ),
    // Offers and dates, never cut.
    (
        "Black Friday feed ad 1080x1920 for our sneaker store: up to 50% off everything until Sunday. CTA 'Shop the sale'",
        "Up to 50% off everything until Sunday",
        Some("Black Friday"),
        "Shop the sale",
        En,
    ),
    (
        "Poster for a jazz night on Nov 28 at 18:00, free entry. Button: Get tickets",
        "Free entry",
        Some("Jazz night on Nov 28 at 18:00"),
        "Get tickets",
        En,
    ),
    (
        "BOGO tacos every Tuesday",
        "BOGO tacos every Tuesday",
        None,
        "Shop now",
        En,
    ),
    (
        "Spring collection, free shipping on all orders until Sunday",
        "Free shipping on all orders until Sunday",
        Some("Spring collection"),
        "Shop now",
        En,
    ),
    (
        "Discover our brand new handcrafted winter collection of cozy scarves with 30% off",
        "Discover our brand new handcrafted winter",
        Some("30% off"),
        "Shop now",
        En,
    ),
    (
        "iPhone cases, 2 for 1",
        "2 for 1",
        Some("iPhone cases"),
        "Shop now",
        En,
    ),
    (
        "\u{1F383}\u{1F342} Halloween pumpkin latte \u{1F383} 9:16 vertical",
        "Halloween pumpkin latte",
        None,
        "Learn more",
        En,
    ),
    ("banner", "Banner", None, "Learn more", En),
    (
        "Create an Instagram post for our bakery announcing fresh croissants every morning",
        "Fresh croissants every morning",
        None,
        "Learn more",
        En,
    ),
    (
        "Make a poster for our Halloween party on Oct 31, costume contest, free drinks before 9pm",
        "Halloween party on Oct 31",
        None,
        "Learn more",
        En,
    ),
    (
        "Generate an image of a red sports car on a mountain road, 16:9",
        "Red sports car on a mountain road",
        None,
        "Learn more",
        En,
    ),
    // A rate is an offer kept whole, not a sale; a banner size is not a multi-buy.
    (
        "Ad for Acme Bank: low interest loans from 3.9% APR",
        "Low interest loans from 3.9% APR",
        None,
        "Learn more",
        En,
    ),
    (
        "Banner 728x90 for a car dealership, 0% financing",
        "0% financing",
        None,
        "Learn more",
        En,
    ),
    (
        "Instagram post with headline 'Back to school' and the text 'Up to 30% off backpacks'",
        "Back to school",
        Some("Up to 30% off backpacks"),
        "Shop now",
        En,
    ),
    // German
    (
        "Werbebanner im Querformat für unsere Bäckerei: Herbstangebot, alle Kuchen 20 % günstiger bis Sonntag",
        "Alle Kuchen 20 % günstiger bis Sonntag",
        Some("Herbstangebot"),
        "Jetzt kaufen",
        De,
    ),
    (
        "Instagram-Anzeige für die Donaudampfschifffahrtsgesellschaft. Überschrift: Sommerfahrplan 2025. Schaltfläche: Jetzt buchen",
        "Sommerfahrplan 2025",
        None,
        "Jetzt buchen",
        De,
    ),
    (
        "Plakat für den Weihnachtsmarkt, Glühwein ab 3,50 €, geöffnet ab 28.11.",
        "Glühwein ab 3,50 €",
        Some("Geöffnet ab 28.11."),
        "Jetzt kaufen",
        De,
    ),
    (
        "Herbstliche Kaffeespezialitäten für unser Café in warmen Farben",
        "Herbstliche Kaffeespezialitäten",
        None,
        "Mehr erfahren",
        De,
    ),
    (
        "Anzeige mit Überschrift \u{201E}Frisch aus dem Ofen\u{201C} und Button \u{201E}Jetzt bestellen\u{201C}",
        "Frisch aus dem Ofen",
        None,
        "Jetzt bestellen",
        De,
    ),
    // French
    (
        "Bannière pour notre pâtisserie : « Les galettes des rois sont arrivées » — livraison gratuite jusqu'à dimanche",
        "Les galettes des rois sont arrivées",
        Some("Livraison gratuite jusqu'à dimanche"),
        "Acheter maintenant",
        Fr,
    ),
    (
        "Affiche publicitaire. Titre : Soldes d'été. Bouton : J'en profite",
        "Soldes d'été",
        None,
        "J'en profite",
        Fr,
    ),
    (
        "Publicité pour notre boulangerie, des croissants tout juste sortis du four",
        "Des croissants tout juste sortis du four",
        None,
        "En savoir plus",
        Fr,
    ),
    (
        "Affiche pour un concert le 28 novembre à 20h, entrée libre",
        "Entrée libre",
        Some("Concert le 28 novembre à 20h"),
        "Acheter maintenant",
        Fr,
    ),
    // Spanish
    (
        "Anuncio para nuestra cafetería: café con leche y churros por solo 2,50 €. Botón: Pide ya",
        "Café con leche y churros por solo 2,50 €",
        None,
        "Pide ya",
        Es,
    ),
    (
        "Crea un cartel vertical: «Rebajas de invierno», hasta un 40% de descuento",
        "Rebajas de invierno",
        Some("Hasta un 40% de descuento"),
        "Comprar ahora",
        Es,
    ),
    (
        "Post para Instagram: ¡Llegó el verano! Helados artesanales desde 1,99 €",
        "Helados artesanales desde 1,99 €",
        Some("¡Llegó el verano!"),
        "Comprar ahora",
        Es,
    ),
    // Italian, Portuguese, Dutch, Swedish, Polish, Turkish, Czech
    (
        "Locandina per la nostra gelateria: gelato artigianale, 2 per 1 il martedì. Pulsante: Scopri i gusti",
        "2 per 1 il martedì",
        Some("Gelato artigianale"),
        "Scopri i gusti",
        It,
    ),
    (
        "Anúncio para o nosso restaurante: feijoada completa aos sábados, frete grátis. Botão: Peça já",
        "Frete grátis",
        Some("Feijoada completa aos sábados"),
        "Peça já",
        Pt,
    ),
    (
        "Advertentie voor onze fietsenwinkel: elektrische fietsen met 15% korting, alleen vandaag",
        "Elektrische fietsen met 15% korting",
        Some("Alleen vandaag"),
        "Nu kopen",
        Nl,
    ),
    (
        "Annons för vårt bageri: nybakade kanelbullar varje morgon, 2 för 1 på fredagar",
        "2 för 1 på fredagar",
        Some("Nybakade kanelbullar varje morgon"),
        "Handla nu",
        Sv,
    ),
    (
        "Baner dla naszej kawiarni: jesienna kawa dyniowa, zniżka 25% do niedzieli. Przycisk: Zamów teraz",
        "Zniżka 25% do niedzieli",
        Some("Jesienna kawa dyniowa"),
        "Zamów teraz",
        Pl,
    ),
    (
        "Kafemiz için Instagram gönderisi: Sonbahar kahveleri %20 indirimli, sadece bugün",
        "Sonbahar kahveleri %20 indirimli",
        Some("Sadece bugün"),
        "Hemen al",
        Tr,
    ),
    (
        "Reklama pro naši kavárnu: čerstvá káva každé ráno, přijďte ochutnat",
        "Čerstvá káva každé ráno",
        None,
        "Learn more",
        Other,
    ),
    // Greek, Russian, Ukrainian
    (
        "Αφίσα για το καφέ μας: Φρέσκος καφές κάθε πρωί, έκπτωση 20% όλη την εβδομάδα",
        "Έκπτωση 20% όλη την εβδομάδα",
        Some("Φρέσκος καφές κάθε πρωί"),
        "Αγοράστε τώρα",
        El,
    ),
    (
        "Рекламный баннер для нашей кофейни: осенний латте со скидкой 30%, только до воскресенья",
        "Осенний латте со скидкой 30%",
        Some("Только до воскресенья"),
        "Купить сейчас",
        Ru,
    ),
    (
        "Банер для нашої пекарні: Свіжий хліб щоранку, знижка 15% на всю випічку. Кнопка: Замовити",
        "Знижка 15% на всю випічку",
        Some("Свіжий хліб щоранку"),
        "Замовити",
        Uk,
    ),
    // Japanese
    (
        "秋の新作コーヒーの広告バナーを作成してください。全品半額、11月28日まで",
        "全品半額",
        Some("秋の新作コーヒー"),
        "今すぐ購入",
        Ja,
    ),
    (
        "インスタ投稿。見出し：「冬限定のいちごラテ」、ボタン：「今すぐ注文」",
        "冬限定のいちごラテ",
        None,
        "今すぐ注文",
        Ja,
    ),
    (
        "京都の老舗旅館のポスター",
        "京都の老舗旅館",
        None,
        "詳しく見る",
        Ja,
    ),
    // Chinese
    (
        "为我们的咖啡店设计一张秋季促销海报，全场八折，仅限本周末",
        "全场八折",
        Some("秋季促销"),
        "立即购买",
        ZhHans,
    ),
    (
        "双十一横幅广告。标题：年度最低价。按钮：立即抢购",
        "年度最低价",
        None,
        "立即抢购",
        ZhHans,
    ),
    (
        "这是我们新开的书店",
        "这是我们新开的书店",
        None,
        "了解更多",
        ZhHans,
    ),
    (
        "為我們的珍珠奶茶店設計廣告：買一送一，限時三天",
        "買一送一",
        Some("限時三天"),
        "立即購買",
        ZhHant,
    ),
    (
        "海報。標題：「夏日新品上市」，按鈕：立即購買",
        "夏日新品上市",
        None,
        "立即購買",
        ZhHant,
    ),
    // Korean
    (
        "인스타그램 광고를 만들어 주세요: 가을 신메뉴 출시, 전 메뉴 20% 할인",
        "전 메뉴 20% 할인",
        Some("가을 신메뉴 출시"),
        "지금 구매하기",
        Ko,
    ),
    (
        "카페 배너. 제목: 따뜻한 겨울 음료. 버튼: 지금 주문하기",
        "따뜻한 겨울 음료",
        None,
        "지금 주문하기",
        Ko,
    ),
    (
        "Instagram-Story: Sommerschlussverkauf! Bis zu 70 % Rabatt auf alles",
        "Bis zu 70 % Rabatt auf alles",
        Some("Sommerschlussverkauf!"),
        "Jetzt kaufen",
        De,
    ),
    (
        "따뜻한 겨울 음료 카페 배너",
        "따뜻한 겨울 음료 카페",
        None,
        "자세히 보기",
        Ko,
    ),
    // Arabic, Hebrew
    (
        "إعلان لمقهى القهوة: قهوة طازجة كل صباح، خصم ٥٠٪ على جميع المشروبات",
        "خصم ٥٠٪ على جميع المشروبات",
        Some("قهوة طازجة كل صباح"),
        "تسوّق الآن",
        Ar,
    ),
    (
        "بانر أفقي لمتجرنا. العنوان: تخفيضات الصيف الكبرى. الزر: تسوق الآن",
        "تخفيضات الصيف الكبرى",
        None,
        "تسوق الآن",
        Ar,
    ),
    (
        "מודעה לבית הקפה שלנו: קפה טרי כל בוקר, 20% הנחה על כל המאפים",
        "20% הנחה על כל המאפים",
        Some("קפה טרי כל בוקר"),
        "לקנייה עכשיו",
        He,
    ),
    (
        "באנר אנכי. כותרת: מבצע סוף העונה. כפתור: לקנייה",
        "מבצע סוף העונה",
        None,
        "לקנייה",
        He,
    ),
    // Hindi, Thai, Vietnamese, Indonesian
    (
        "हमारे कैफ़े के लिए विज्ञापन: ताज़ा कॉफ़ी हर सुबह, सभी पेय पर 50% छूट",
        "सभी पेय पर 50% छूट",
        Some("ताज़ा कॉफ़ी हर सुबह"),
        "अभी खरीदें",
        Hi,
    ),
    (
        "दिवाली सेल का पोस्टर: सिर्फ ₹499 में मिठाई का डिब्बा",
        "सिर्फ ₹499 में मिठाई का डिब्बा",
        Some("दिवाली सेल"),
        "अभी खरीदें",
        Hi,
    ),
    (
        "แบนเนอร์ หัวข้อ: โปรโมชั่นฤดูร้อน ปุ่ม: สั่งเลย",
        "โปรโมชั่นฤดูร้อน",
        None,
        "สั่งเลย",
        Th,
    ),
    (
        "โปสเตอร์ร้านกาแฟสดทุกเช้า",
        "ร้านกาแฟสดทุกเช้า",
        None,
        "ดูเพิ่มเติม",
        Th,
    ),
    (
        "Quảng cáo cho quán cà phê của chúng tôi: Cà phê sữa đá giảm 30%, chỉ hôm nay",
        "Cà phê sữa đá giảm 30%",
        Some("Chỉ hôm nay"),
        "Mua ngay",
        Vi,
    ),
    (
        "Iklan untuk kedai kopi kami: kopi susu gula aren diskon 20%, gratis ongkir",
        "Kopi susu gula aren diskon 20%",
        Some("Gratis ongkir"),
        "Beli sekarang",
        Id,
    ),
];

#[test]
fn the_table() {
    let mut languages = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for &(prompt, headline, supporting, cta, language) in ROWS {
        let plan = plan(prompt, None);
        let got = (
            plan.headline.as_str(),
            plan.supporting.as_deref(),
            plan.call_to_action.as_str(),
            plan.language,
        );
        if got != (headline, supporting, cta, language) {
            failures.push(format!(
                "{prompt:?}\n   got  {got:?}\n   want {:?}",
                (headline, supporting, cta, language)
            ));
        }
        languages.insert(language);
    }
    assert!(
        failures.is_empty(),
        "{} rows wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ROWS.len() >= 40, "{} rows", ROWS.len());
    assert!(languages.len() >= 12, "{languages:?}");
}

fn brand(name: Option<&str>, slogan: Option<&str>, cta: Option<&str>) -> BrandIdentity {
    BrandIdentity {
        name: name.map(str::to_owned),
        slogan: slogan.map(str::to_owned),
        call_to_action: cta.map(str::to_owned),
        ..BrandIdentity::default()
    }
}

#[test]
fn the_brand_fills_what_the_prompt_does_not_say() {
    let acme = brand(
        Some("Acme Coffee"),
        Some("Wake up happy"),
        Some("Order now"),
    );
    let p = plan("Autumn sale poster", Some(&acme));
    assert_eq!(
        (
            p.headline.as_str(),
            p.supporting.as_deref(),
            p.call_to_action.as_str()
        ),
        ("Autumn sale", Some("Wake up happy"), "Order now")
    );
    assert_eq!(
        p.sources,
        CopySources {
            headline: CopySource::Prompt,
            supporting: Some(CopySource::BrandSlogan),
            call_to_action: CopySource::BrandCallToAction,
        }
    );
    // The slogan beats a derived supporting line, not an explicit one; the prompt's CTA
    // beats the brand's.
    let p = plan("Summer sale banner, 30% off all swimwear", Some(&acme));
    assert_eq!(p.headline, "30% off all swimwear");
    assert_eq!(p.supporting.as_deref(), Some("Wake up happy"));
    let p = plan(
        "Headline: Hot deals. Subline: Only this week. CTA: Grab yours",
        Some(&acme),
    );
    assert_eq!(p.supporting.as_deref(), Some("Only this week"));
    assert_eq!(p.call_to_action, "Grab yours");
    // No usable words: the brand's name.
    let p = plan("Instagram story 9:16", Some(&acme));
    assert_eq!(
        (p.headline.as_str(), p.sources.headline),
        ("Acme Coffee", CopySource::BrandName)
    );
    let p = plan("Button: Try it free", Some(&acme));
    assert_eq!(p.headline, "Acme Coffee");
    assert_eq!(p.call_to_action, "Try it free");
    // "For <Brand>" is who the ad is for, never the headline when there is anything else.
    let ember = brand(Some("Ember Roasters"), None, None);
    assert_eq!(
        plan("Ember Roasters: cozy autumn blend", Some(&ember)).headline,
        "Cozy autumn blend"
    );
    // A slogan equal to the headline is not repeated.
    let same = brand(None, Some("Cozy autumn blend"), None);
    assert_eq!(plan("Cozy autumn blend", Some(&same)).supporting, None);
}

#[test]
fn sources_say_where_each_block_came_from() {
    let p = plan(
        "Poster \"Winter is coming\", 30% off all coats. CTA: Shop coats",
        None,
    );
    assert_eq!(
        p.sources,
        CopySources {
            headline: CopySource::Quoted,
            supporting: Some(CopySource::Offer),
            call_to_action: CopySource::Labelled,
        }
    );
    let p = plan("Spring collection, 20% off", None);
    assert_eq!(p.sources.headline, CopySource::Offer);
    assert_eq!(p.sources.supporting, Some(CopySource::Prompt));
    assert_eq!(p.sources.call_to_action, CopySource::Default);
    let json = serde_json::to_value(&p).expect("serialise");
    assert_eq!(json["language"], "en");
    assert_eq!(json["sources"]["headline"], "offer");
}

#[test]
fn every_default_call_to_action_is_in_its_languages_script() {
    for language in Language::ALL {
        for cta in [
            language.default_call_to_action(),
            language.shop_call_to_action(),
        ] {
            assert!(!cta.trim().is_empty(), "{language:?}");
            let want = language.script();
            for c in cta.chars().filter(|c| c.is_alphabetic()) {
                let got = chars::script(c);
                let ok = match want {
                    // Japanese copy mixes kana and kanji.
                    Script::Kana => matches!(got, Some(Script::Kana | Script::Han)),
                    _ => got == Some(want),
                };
                assert!(ok, "{language:?} {cta:?}: {c:?} is {got:?}, not {want:?}");
            }
        }
        assert!(!language.english_name().is_empty());
        assert!(!language.bcp47().is_empty());
    }
    assert_eq!(ZhHans.bcp47(), "zh-Hans");
    assert_eq!(ZhHant.bcp47(), "zh-Hant");
    assert!(Ar.is_rtl() && He.is_rtl() && !En.is_rtl() && !Ja.is_rtl());
}

#[test]
fn detection_is_script_first_and_falls_back_sensibly() {
    for (text, language) in [
        ("", En),
        ("12345 !!!", En),
        ("Sale", En),
        ("Große Auswahl", De),
        ("¡Oferta!", Es),
        ("Promoção", Pt),
        ("İndirim günleri", Tr),
        ("Instagram баннер", Ru),
        ("Instagram банер їжа", Uk),
        ("Instagram広告 秋の新作", Ja),
        ("半額", ZhHant),
        ("这个国家", ZhHans),
        ("這個國家", ZhHant),
        ("겨울 세일", Ko),
        ("ลดราคา", Th),
        ("שלום", He),
        ("مرحبا", Ar),
        ("नमस्ते", Hi),
        ("Καλημέρα", El),
        ("আমাদের দোকান", Other),
    ] {
        assert_eq!(Language::detect(text), language, "{text:?}");
    }
}

#[test]
fn capitalisation_follows_the_language() {
    assert_eq!(capitalise("istanbul şubesi", Tr), "İstanbul şubesi");
    assert_eq!(capitalise("ijs van de week", Nl), "IJs van de week");
    assert_eq!(capitalise("iPhone cases", En), "iPhone cases");
    assert_eq!(capitalise("¡llegó el verano!", Es), "¡Llegó el verano!");
    assert_eq!(capitalise("20% off", En), "20% off");
    assert_eq!(capitalise("осенний латте", Ru), "Осенний латте");
    assert_eq!(capitalise("秋の新作", Ja), "秋の新作");
}

#[test]
fn invisible_characters_do_not_make_copy() {
    let p = plan(
        "Headline: \u{200B}\u{FEFF}. \"\u{200E}\u{200F}\" Autumn sale",
        None,
    );
    assert_eq!(p.headline, "Autumn sale");
    let p = plan("\u{FEFF}Winter\u{200B} sale\u{2060}", None);
    assert_eq!(p.headline, "Winter sale");
    // Inside right-to-left copy the marks stay (they order numbers and punctuation).
    let p = plan("כותרת: \u{200F}50% הנחה\u{200F} היום", None);
    assert_eq!(p.headline, "50% הנחה\u{200F} היום");
}

#[test]
fn the_golden_prompts_are_all_plannable() {
    assert!(GOLDEN_PROMPTS.len() >= 40);
    let mut languages = std::collections::BTreeSet::new();
    for prompt in GOLDEN_PROMPTS {
        let p = plan(prompt, None);
        assert!(chars::has_visible(&p.headline), "{prompt}");
        assert!(chars::has_visible(&p.call_to_action), "{prompt}");
        assert!(
            chars::width(&p.headline) <= 2 * derive::HEADLINE_WIDTH,
            "{prompt}: {p:?}"
        );
        assert!(!p.headline.chars().any(chars::is_emoji), "{prompt}: {p:?}");
        assert_eq!(p, plan(prompt, None), "deterministic");
        languages.insert(p.language);
    }
    assert!(languages.len() >= 12, "{languages:?}");
}

#[test]
fn no_input_panics() {
    let long_a = "a".repeat(4000);
    let long_words = "word ".repeat(2000);
    let long_cjk = "秋".repeat(5000);
    let many_quotes = "\"".repeat(3000);
    let many_singles = "' x ".repeat(2000);
    let labels = "CTA: ".repeat(1000);
    let digits = "9".repeat(5000);
    let mixed = "€%.,:;!?「」『』«»„“”‘’'\"-–—/|()[]{} ".repeat(200);
    let tricky = [
        "",
        " ",
        "\"",
        "\"\"",
        "''",
        "'",
        "“",
        "„",
        "«",
        "»",
        "「",
        "」",
        "『",
        "「」",
        "\" unmatched",
        "'unmatched",
        "«  »",
        "\u{200F}",
        "\u{202E}\u{202D}\u{2066}",
        "\u{FEFF}",
        "\u{200B}\u{200C}\u{200D}",
        "🎃",
        "👩\u{200D}💻🇩🇪",
        "e\u{301}\u{301}\u{301}",
        "\u{301}",
        "CTA:",
        "Headline:",
        "見出し：",
        "Button 'x'",
        ".",
        "...",
        "1.",
        "28.11.",
        "%",
        "€",
        "2 for",
        "for",
        "x 1080 x",
        "16:9:4:5",
        "ÿ\u{10FFFF}\u{E000}",
        "İİİ ııı",
        "ﷺ ﷻ",
        "\u{0}\u{1}\u{7F}",
        "\r\n\r\n",
        &long_a,
        &long_words,
        &long_cjk,
        &many_quotes,
        &many_singles,
        &labels,
        &digits,
        &mixed,
    ];
    let acme = brand(Some("Acme"), Some("Slogan"), None);
    for text in tricky {
        for b in [None, Some(&acme)] {
            let p = plan(text, b);
            assert!(
                chars::width(&p.headline) <= 2 * derive::HEADLINE_WIDTH + 40,
                "{text:?}"
            );
            assert!(!p.call_to_action.is_empty());
            let _ = Language::detect(text);
        }
    }
    // Every prefix of a hostile mix, at every character boundary.
    let mix = "Titre : « Soldes » CTA 'Go' 20 % 半額、「見出し」 \u{200F}שלום 🎃 28.11. 2 for 1";
    for (at, _) in mix.char_indices() {
        let _ = plan(&mix[..at], None);
        let _ = plan(&mix[at..], None);
    }
}
