/**
 * Demo campaigns for Pocket Protest.
 *
 * The texts are adapted from real urgent actions about human rights defenders in Russia's
 * North Caucasus (Magamed Abubakarov, 2013; Magomed Alamov, 2023; the Joint Mobile Group and
 * Igor Kalyapin, UA 57/16, 2016). Names, titles and postal addresses of the authorities are
 * taken from those documents where they give them.
 *
 * Every fax number below is FICTIONAL: all come from Ofcom's drama range (+44 20 7946 0xxx),
 * which is reserved for fiction and never allocated, so no demo can reach a real authority. Every
 * e-mail address is at example.org, a domain reserved for examples (RFC 2606), for the same reason.
 * Never replace them with the real fax numbers or addresses from the source documents.
 *
 * The authorities read Russian: the fixed parts of their letters are in Russian, and MAGAMED carries a
 * Russian translation of its letter, printed before the original.
 */

export interface DemoTarget {
  name: string;
  title: string | null;
  organisation: string | null;
  address: string | null;
  salutation: string;
  faxNumbers: string[];
  emails: string[];
  language: 'en' | 'ru';
  timezone: string;
}

export interface DemoCampaign {
  keyword: string;
  title: string;
  reference: string | null;
  shortTitle: string;
  summary: string;
  letter: { subject: string; body: string; translation?: { language: 'ru'; subject: string; body: string } };
  replies: { thanks: string; alert: string };
  targets: DemoTarget[];
  status: 'open' | 'closed';
  updates: string[];
}

export const DEMO_OPEN_KEYWORD = 'MAGAMED';

export const DEMO_CAMPAIGNS: readonly DemoCampaign[] = [
  {
    keyword: 'MAGAMED',
    title: 'Magamed Abubakarov: lawyer getting death threats by text',
    reference: null,
    shortTitle: 'Magamed Abubakarov',
    summary:
      "Defence lawyer Magamed Abubakarov, who works in Kabardino-Balkaria in Russia's North Caucasus, has " +
      'received anonymous death threats by text since 6 February 2013, and police have failed to properly ' +
      'interview him about them. The fax urges the Russian authorities to identify and prosecute those ' +
      'behind the threats and to let defence lawyers in the region work without intimidation.',
    letter: {
      subject: 'Death threats against defence lawyer Magamed Abubakarov',
      body:
        'We, the undersigned, are writing to express our concern for the safety of Magamed Abubakarov, a ' +
        'defence lawyer working in Kabardino-Balkaria, who has been receiving anonymous text messages ' +
        'containing death threats.\n\n' +
        'The threats began on 6 February 2013 and were sent from an unknown number. The sender demanded to ' +
        'know where Mr Abubakarov was and told him that he would not be able to hide. The threats ' +
        'continued after he reported them to the police; one of them read: ‘The time to [talk] is over… ' +
        '[you will be talking] in a mortuary.’\n\n' +
        'The police have failed to properly interview Mr Abubakarov about the text messages, let alone ' +
        'find out who is sending them or put a stop to the intimidation.\n\n' +
        'Mr Abubakarov is known for taking on some of the most sensitive criminal cases in the North ' +
        'Caucasus, involving allegations against the police of abduction, torture and fabrication of ' +
        'charges. He has received threats in connection with his work before. On 15 December 2011 he was ' +
        'badly injured when a car drove into him at full speed, shortly after he had been stopped by ' +
        'armed, masked police officers; the police did nothing to find the driver responsible.\n\n' +
        'We urge you to investigate Magamed Abubakarov’s complaints about the anonymous threats he has ' +
        'been receiving, and to identify and prosecute the person or persons behind them.\n\n' +
        'We also urge you to ensure that criminal defence lawyers in the North Caucasus are able to ' +
        'discharge their professional functions without intimidation, hindrance or harassment, including ' +
        'from members of law enforcement agencies.',
      translation: {
        language: 'ru',
        subject: 'Угрозы убийством в адрес адвоката Магамеда Абубакарова',
        body:
          'Мы, нижеподписавшиеся, выражаем обеспокоенность безопасностью Магамеда Абубакарова — адвоката, ' +
          'работающего в Кабардино-Балкарии, который получает анонимные текстовые сообщения с угрозами ' +
          'убийством.\n\n' +
          'Угрозы начали поступать 6 февраля 2013 года с неизвестного номера. Отправитель требовал ' +
          'сообщить, где находится г-н Абубакаров, и писал, что тот не сможет скрыться. Угрозы ' +
          'продолжились и после того, как он сообщил о них в полицию; в одном из сообщений говорилось: ' +
          '«Время [разговоров] закончилось… [говорить будешь] в морге».\n\n' +
          'Полиция так и не опросила г-на Абубакарова надлежащим образом об этих сообщениях, не говоря уже ' +
          'о том, чтобы установить, кто их отправляет, и прекратить запугивание.\n\n' +
          'Г-н Абубакаров известен тем, что ведёт одни из самых острых уголовных дел на Северном Кавказе, ' +
          'связанных с обвинениями сотрудников полиции в похищениях, пытках и фабрикации обвинений. Ему и ' +
          'прежде угрожали в связи с его работой. 15 декабря 2011 года он был тяжело ранен, когда на него ' +
          'на полной скорости наехал автомобиль — вскоре после того, как его остановили вооружённые ' +
          'сотрудники полиции в масках; полиция ничего не сделала, чтобы найти водителя.\n\n' +
          'Мы призываем вас расследовать жалобы Магамеда Абубакарова на анонимные угрозы, установить лицо ' +
          'или лиц, стоящих за ними, и привлечь их к ответственности.\n\n' +
          'Мы также призываем вас обеспечить, чтобы адвокаты по уголовным делам на Северном Кавказе могли ' +
          'выполнять свои профессиональные обязанности без запугивания, препятствий и преследования, в том ' +
          'числе со стороны сотрудников правоохранительных органов.',
      },
    },
    replies: {
      thanks:
        'Thank you {name}, your name will be on our fax to the Russian authorities for Magamed Abubakarov.',
      alert:
        'Russian defence lawyer Magamed Abubakarov is getting death threats by text, and police have ' +
        'failed to properly interview him about them. Urge the Russian authorities to investigate. Text ' +
        'MAGAMED and your full name to sign.',
    },
    targets: [
      {
        name: 'Представитель МВД России в Нальчике',
        title: null,
        organisation: 'Министерство внутренних дел Российской Федерации по Кабардино-Балкарской Республике',
        address: 'Нальчик\nКабардино-Балкарская Республика\nРоссийская Федерация',
        salutation: 'Уважаемый господин представитель!',
        faxNumbers: ['+442079460110'],
        emails: ['mvd-nalchik@example.org'],
        language: 'ru',
        timezone: 'Europe/Moscow',
      },
      {
        name: 'Генеральный прокурор Российской Федерации',
        title: null,
        organisation: 'Генеральная прокуратура Российской Федерации',
        address: 'ул. Б. Дмитровка, д. 15а\n125993, Москва, ГСП-3\nРоссийская Федерация',
        salutation: 'Уважаемый господин Генеральный прокурор!',
        faxNumbers: ['+442079460111', '+442079460112'],
        emails: ['genprokuratura@example.org'],
        language: 'ru',
        timezone: 'Europe/Moscow',
      },
    ],
    status: 'open',
    updates: [
      'Good news! The Russian authorities have opened a criminal investigation into the death threats ' +
        'Magamed Abubakarov received by text. Thank you for your messages. We are still urging them to ' +
        'make sure the inquiry is timely, independent and constructive.',
    ],
  },
  {
    keyword: 'ALAMOV',
    title: 'Magomed Alamov: human rights lawyer and his family threatened with death',
    reference: null,
    shortTitle: 'Magomed Alamov',
    summary:
      'Human rights lawyer Magomed Alamov (Crew Against Torture) and his family were threatened with death ' +
      'in October 2023 after he helped a survivor of domestic violence from Ingushetia reach a safehouse. ' +
      'On 23 October Crew Against Torture complained to the Ministry of Interior and the Office of the ' +
      'Prosecutor General; the fax asks them to protect him and investigate.',
    letter: {
      subject: 'Threats against the life of human rights lawyer Magomed Alamov and his family',
      body:
        'We, the undersigned, are writing to express our serious concern for the safety of human rights ' +
        'lawyer Magomed Alamov and his family.\n\n' +
        'On 5 October 2023, at the request of the human rights organisation North Caucasus SOS, Magomed ' +
        'Alamov accompanied a young woman who had survived domestic violence from Ingushetia to a ' +
        'safehouse. From 11 October he received phone calls from the General Administration for Combating ' +
        'Extremism (Centre E) demanding that he present himself for questioning about her alleged ' +
        'disappearance; as no subpoena had been issued, he refused. On 13 October, law enforcement ' +
        'officers in the Chechen Republic unlawfully detained his brother at Special Police Regiment No. ' +
        '2, threatened him and demanded that he persuade Magomed Alamov to return to the Chechen Republic. ' +
        'Fearing for his brother’s life, Magomed Alamov travelled there.\n\n' +
        'On 23 October 2023, in a telephone call to the young woman made from her family home, Magomed ' +
        'Alamov was heard saying: “I am at your home, surrounded by your relatives. My life and the life ' +
        'of my family is at risk. They made a condition: they give you one week to return home. If you do ' +
        'not return, I will be killed.” His colleagues immediately contacted law enforcement agencies, and ' +
        'on the same day Crew Against Torture filed complaints with the Ministry of Interior and the ' +
        'Office of the Prosecutor General of the Russian Federation demanding protection for him.\n\n' +
        'Inaction by the authorities when the life of a human rights lawyer is at risk because of his work ' +
        'is unacceptable. His case also reflects the continued failure to act against domestic violence ' +
        'reported across Russia, including in the North Caucasus.\n\n' +
        'We urge you to act urgently to provide effective protection for Magomed Alamov and his family.\n\n' +
        'We also urge you to promptly conduct a thorough, independent and impartial investigation into the ' +
        'threats made against Magomed Alamov and his relatives, with a view to identifying those ' +
        'responsible.',
    },
    replies: {
      thanks: 'Thank you {name}, your name will be on our fax to the Russian authorities for Magomed Alamov.',
      alert:
        'Human rights lawyer Magomed Alamov and his family have been threatened with death after he helped ' +
        'a survivor of domestic violence in the North Caucasus. Urge the Russian authorities to protect ' +
        'them and investigate. Text ALAMOV and your full name to sign.',
    },
    targets: [
      {
        name: 'Minister of Internal Affairs of the Russian Federation',
        title: null,
        organisation: 'Ministry of Internal Affairs of the Russian Federation',
        address: null,
        salutation: 'Dear Minister',
        faxNumbers: ['+442079460120', '+442079460121'],
        emails: ['mvd@example.org'],
        language: 'ru',
        timezone: 'Europe/Moscow',
      },
      {
        name: 'Prosecutor General of the Russian Federation',
        title: null,
        organisation: 'Office of the Prosecutor General of the Russian Federation',
        address: 'ul. B. Dmitrovka, d.15a\n125993 Moscow GSP-3\nRussian Federation',
        salutation: 'Dear Prosecutor General',
        faxNumbers: ['+442079460122'],
        emails: ['genprokuratura@example.org'],
        language: 'ru',
        timezone: 'Europe/Moscow',
      },
    ],
    status: 'closed',
    updates: [
      'Update on Magomed Alamov: he was able to leave the house where he was threatened, but he fears he ' +
        'and his family are still at risk. On 16 Nov 2023 Amnesty said the authorities had still taken no ' +
        'action, and called again for his protection and an investigation.',
    ],
  },
  {
    keyword: 'KALYAPIN',
    title: 'Joint Mobile Group: rights defenders at risk of further attacks',
    reference: 'UA 57/16',
    shortTitle: 'Joint Mobile Group',
    summary:
      'Urgent action UA 57/16 (EUR 46/3643/2016, 31 March 2016; appeals before 12 May 2016). On 9 March ' +
      'masked men beat Joint Mobile Group members, journalists and their driver and burned their minibus; ' +
      'on 16 March JMG leader Igor Kalyapin was attacked by a mob in Grozny. The fax asks for the ' +
      'perpetrators and masterminds to be brought to justice.',
    letter: {
      subject: 'Attacks on members of the Joint Mobile Group and journalists in the North Caucasus',
      body:
        'We, the undersigned, are writing to express our deep concern about the recurring attacks against ' +
        'human rights defenders and journalists in the North Caucasus, and the authorities’ consistent ' +
        'failure to investigate them effectively, thereby providing impunity for the perpetrators.\n\n' +
        'On 9 March 2016, two members of the Joint Mobile Group (JMG), six journalists from Russian, ' +
        'Norwegian and Swedish media, and their driver were brutally assaulted while travelling from North ' +
        'Ossetia to Chechnya. Near a security checkpoint on the border between Ingushetia and Chechnya, ' +
        'their minibus was blocked by four cars; around 20 masked men armed with baseball bats and batons ' +
        'dragged everyone out, beat them severely and set the vehicle on fire. Two hours later, the JMG’s ' +
        'office in Ingushetia was ransacked.\n\n' +
        'On 16 March 2016, the JMG’s leader Igor Kalyapin arrived in Grozny to give a press conference ' +
        'about these and earlier attacks. He was told to leave his hotel and, once outside, was confronted ' +
        'by a violent mob; he was punched, pelted with eggs and cakes, and had flour and bright green ' +
        'liquid poured over him.\n\n' +
        'These are the latest in a long series of increasingly violent attacks against Igor Kalyapin and ' +
        'members of the JMG, whose offices in Grozny were destroyed in December 2014 and in June 2015. ' +
        'Threats against them have come from senior Chechen officials. In the past, similar threats were ' +
        'followed by violence: journalist Anna Politkovskaya and human rights defender Natalia Estemirova ' +
        'received such threats and were later killed.\n\n' +
        'We urge you to ensure that the immediate perpetrators and the masterminds of the attacks of 9 ' +
        'March and 16 March against members of the JMG and journalists, and of the previous attacks ' +
        'against human rights defenders in the North Caucasus, are promptly identified and brought to ' +
        'justice in fair trial proceedings.\n\n' +
        'We also urge the authorities to respond to the string of threats against several prominent human ' +
        'rights defenders, media workers and political activists which originated from the political ' +
        'leadership of Chechnya.',
    },
    replies: {
      thanks:
        'Thank you {name}, your name will be on our fax to the Russian authorities ' +
        'for the Joint Mobile Group.',
      alert:
        'Masked men beat members of the Joint Mobile Group and journalists in the North Caucasus on 9 ' +
        'March and burned their bus. On 16 March its leader Igor Kalyapin was attacked in Grozny. Urge ' +
        'Russia to bring those responsible to justice. Text KALYAPIN and your full name to sign.',
    },
    targets: [
      {
        name: 'Aleksandr Ivanovich Bastrykin',
        title: 'Chairman of the Investigation Committee',
        organisation: 'Investigation Committee of the Russian Federation',
        address: 'Tekhnicheskii pereulok, dom 2\n105005 Moscow\nRussian Federation',
        salutation: 'Dear Chairman of the Investigation Committee',
        faxNumbers: ['+442079460130', '+442079460131'],
        emails: ['sledcom@example.org'],
        language: 'ru',
        timezone: 'Europe/Moscow',
      },
      {
        name: 'Yuriy Yakovlevich Chaika',
        title: 'Prosecutor General of the Russian Federation',
        organisation: "Prosecutor General's Office",
        address: 'ul. B. Dmitrovka, d.15a\n125993 Moscow GSP-3\nRussian Federation',
        salutation: 'Dear Prosecutor General',
        faxNumbers: ['+442079460132', '+442079460133'],
        emails: ['genprokuratura@example.org'],
        language: 'ru',
        timezone: 'Europe/Moscow',
      },
    ],
    status: 'closed',
    updates: [],
  },
];
